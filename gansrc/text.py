"""The words gansrc puts on figures and in warnings, in the chapter's language (en or es).

A chapter passes its ``LANG`` parameter to ``gansrc.start_chapter``, which calls
``set_language``; ``tr(key)`` then gives the string of that key in that language. A chapter's
own strings go through ``run.text(en=..., es=...)`` (``gansrc.ChapterRun.text``), so the code
cells of the English and Spanish chapters stay identical.
"""
from __future__ import annotations

from typing import Optional

LANGUAGES = ("en", "es")

STRINGS: dict[str, dict[str, str]] = {
    # ---------------------------------------------------------------- gansrc.runtime
    "runtime_line": {"en": "device: {where} | mode: {mode}", "es": "dispositivo: {where} | modo: {mode}"},
    "mode_smoke": {"en": "smoke (reduced settings, bundled data)", "es": "smoke (ajustes reducidos, datos incluidos)"},
    "mode_full": {"en": "full", "es": "completo"},
    "mode_budget": {
        "en": "full, budget {budget:g} (training lengths and image counts cut to that fraction)",
        "es": "completo, presupuesto {budget:g} (entrenamientos y números de imágenes recortados a esa fracción)",
    },
    # ---------------------------------------------------------------- gansrc.viz
    "step": {"en": "step", "es": "paso"},
    "step_n": {"en": "step {step}", "es": "paso {step}"},
    "loss_d": {"en": "discriminator loss", "es": "pérdida del discriminador"},
    "loss_g": {"en": "generator loss", "es": "pérdida del generador"},
    "d_real": {"en": "mean D(x)", "es": "D(x) media"},
    "d_fake": {"en": "mean D(G(z))", "es": "D(G(z)) media"},
    "grad_g": {"en": "generator gradient norm", "es": "norma del gradiente del generador"},
    "uniform": {"en": "uniform", "es": "uniforme"},
    "digit_predicted": {"en": "digit predicted by the classifier", "es": "dígito que predice el clasificador"},
    "samples": {"en": "samples", "es": "muestras"},
    "input": {"en": "input", "es": "entrada"},
    "kernel": {"en": "kernel", "es": "núcleo"},
    "feature_map": {"en": "feature map", "es": "mapa de características"},
    "output_at": {"en": ", output ({i}, {j})", "es": ", salida ({i}, {j})"},
    "samples_of_digit": {"en": "{n} samples of the digit {digit}", "es": "{n} muestras del dígito {digit}"},
    "digit": {"en": "digit", "es": "dígito"},
    "noise_seed": {"en": "noise seed", "es": "semilla del ruido"},
    "pair": {"en": "pair", "es": "par"},
    "pair_n": {"en": "pair {pair}", "es": "par {pair}"},
    # ---------------------------------------------------------------- gansrc.data, gansrc.downloads
    "no_details": {"en": "no details", "es": "sin detalles"},
    "split_train": {"en": "train", "es": "entrenamiento"},
    "split_test": {"en": "test", "es": "prueba"},
    "mnist_bundled": {
        "en": "bundled MNIST test set ({n:,} images)",
        "es": "conjunto de prueba de MNIST incluido en el libro ({n} imágenes)",
    },
    "mnist_full": {"en": "full {name} {split} set ({n:,} images)", "es": "{name} completo, conjunto de {split} ({n} imágenes)"},
    "mnist_used": {"en": "MNIST: {what}.", "es": "MNIST: {what}."},
    "mnist_fallback": {
        "en": "Full MNIST could not be downloaded ({reason}); using the {what}.",
        "es": "No se pudo descargar MNIST completo ({reason}); se usa el {what}.",
    },
    "fashion_fallback": {
        "en": "Fashion-MNIST is not available offline ({reason}); using the {what} instead.",
        "es": "Fashion-MNIST no está disponible sin conexión ({reason}); se usa en su lugar el {what}.",
    },
    "images_used": {"en": "Images: {what}.", "es": "Imágenes: {what}."},
    "photo_patches": {
        "en": "{n:,} patches of scikit-image's sample photos ({names})",
        "es": "{n} recortes de las fotos de muestra de scikit-image ({names})",
    },
    "celeba_faces": {
        "en": "CelebA faces ({n:,} of the {total:,} training images, {size}x{size})",
        "es": "caras de CelebA ({n} de las {total} imágenes de entrenamiento, {size}x{size})",
    },
    "celeba_fallback": {
        "en": "CelebA could not be downloaded ({reason}); using {what}.",
        "es": "No se pudo descargar CelebA ({reason}); se usan {what}.",
    },
    "colour_images": {"en": "Colour images: {what}.", "es": "Imágenes en color: {what}."},
    "decoding": {"en": "decoding {name}", "es": "decodificando {name}"},
    "folder_images": {"en": "{n} images from {folder}", "es": "{n} imágenes de {folder}"},
    "dataset_fallback": {
        "en": "The {name} data set could not be downloaded ({reason}); using {fallback} instead.",
        "es": "No se pudo descargar el conjunto de datos {name} ({reason}); se usa {fallback} en su lugar.",
    },
    "pairs_from": {"en": "{n} {split} pairs from {root}", "es": "{n} pares ({split}) de {root}"},
    "reversed": {"en": " (reversed)", "es": " (invertido)"},
    "digit_scenes": {"en": "{n} digit scenes ({size}x{size}, seed {seed})", "es": "{n} escenas de dígitos ({size}x{size}, semilla {seed})"},
    "unpaired_from": {
        "en": "{split}: {n_a} images in A, {n_b} in B, from {root}",
        "es": "{split}: {n_a} imágenes en A, {n_b} en B, de {root}",
    },
    "unpaired_digits": {
        "en": "{n_a} coloured and {n_b} plain digits from disjoint MNIST images ({size}x{size}, seed {seed})",
        "es": ("{n_a} dígitos coloreados y {n_b} dígitos lisos de imágenes de MNIST disjuntas "
               "({size}x{size}, semilla {seed})"),
    },
    # chapter 06 (i15): a shipped CycleGAN's data, gansrc.trained.tasks and pages.describe_data
    "unpaired_task": {
        "en": "{train}; scored on {test} (held-out digits)",
        "es": "{train}; puntuados con {test} (dígitos apartados)",
    },
    # ---------------------------------------------------------------- gansrc.runtime, gansrc.train
    "drive_not_colab": {
        "en": "Not running on Colab: checkpoints stay in {folder}.",
        "es": "No se ejecuta en Colab: los puntos de control se quedan en {folder}.",
    },
    "drive_mounted": {
        "en": ("Checkpoints and downloads now go to {target} on Google Drive; each run keeps its "
               "{keep} newest checkpoints while it trains and its last one once it has finished."),
        "es": ("Los puntos de control y las descargas van ahora a {target} en Google Drive; cada ejecución "
               "conserva sus {keep} puntos de control más recientes mientras entrena y el último cuando termina."),
    },
    "interrupted_resume": {
        "en": ("The last fit() stopped in the middle of training ({why}): going back to the last "
               "checkpoint so that the run stays exact."),
        "es": ("El último fit() se detuvo a mitad del entrenamiento ({why}): se vuelve al último "
               "punto de control para que la ejecución siga siendo exacta."),
    },
    "interrupted_after": {"en": "{error} after step {step}", "es": "{error} tras el paso {step}"},
    "other_device": {
        "en": ("{source} was written on {saved}, this run is on {device}: "
               "training continues from the saved weights, with fresh noise."),
        "es": ("{source} se escribió en {saved} y esta ejecución está en {device}: "
               "el entrenamiento sigue desde los pesos guardados, con ruido nuevo."),
    },
    "resumed": {"en": "Resumed from {path} (step {step}).", "es": "Reanudado desde {path} (paso {step})."},
    "resumed_changed": {
        "en": "Resumed from {path} (step {step}), with settings changed since that checkpoint, used from now on: {changes}.",
        "es": ("Reanudado desde {path} (paso {step}), con ajustes cambiados desde ese punto de control, "
               "que se usan a partir de ahora: {changes}."),
    },
    "nonfinite_stop": {
        "en": ("A loss became NaN or infinite at step {step}; training stopped. {where} "
               "Lower the learning rate, check the data range ([-1, 1]) or the loss."),
        "es": ("Una pérdida se volvió NaN o infinita en el paso {step}; el entrenamiento se detuvo. {where} "
               "Baja la tasa de aprendizaje, revisa el rango de los datos ([-1, 1]) o la pérdida."),
    },
    "nonfinite_last": {"en": "The last good checkpoint is {path}.", "es": "El último punto de control sano es {path}."},
    "nonfinite_none": {
        "en": "No checkpoint was written (set checkpoint_dir to keep one).",
        "es": "No se escribió ningún punto de control (indica checkpoint_dir para guardarlos).",
    },
    "skipping_damaged": {"en": "Skipping damaged checkpoint: {error}", "es": "Se omite un punto de control dañado: {error}"},
    "lock_taken_over": {
        "en": "Taking over the lock of {folder} left by process {pid} on {host!r} ({reason}).",
        "es": "Se toma el cerrojo de {folder} que dejó el proceso {pid} en {host!r} ({reason}).",
    },
    "lock_gone": {"en": "it is gone", "es": "ha desaparecido"},
    "lock_unreadable": {"en": "it is unreadable", "es": "no se puede leer"},
    "lock_earlier_fit": {"en": "it was left by an earlier fit of this process", "es": "lo dejó un fit anterior de este proceso"},
    "lock_dead": {"en": "process {pid} is no longer running", "es": "el proceso {pid} ya no se ejecuta"},
    "lock_old": {"en": "it was last refreshed {minutes:.0f} minutes ago", "es": "se renovó por última vez hace {minutes:.0f} minutos"},
    "minutes": {"en": "{n} minutes", "es": "{n} minutos"},
    "hours": {"en": "{n:.1f} hours", "es": "{n:.1f} horas"},
    "days": {"en": "{n:.1f} days", "es": "{n:.1f} días"},
    "forecast": {
        "en": ("About {eta} on this CPU: {per_step:.2g} s per step, measured on the steps just "
               "run, for {steps:,} steps to go. To see this chapter work in minutes, set SMOKE = True in its "
               "parameters cell (reduced settings); BUDGET = {budget:g} keeps the full settings and runs "
               "{budget:.1%} of every training length (this run: about {budget_eta}). "
               "A GPU runtime (Colab) runs it many times faster."),
        "es": ("Unos {eta} en esta CPU: {per_step:.2g} s por paso, medidos en los pasos recién "
               "ejecutados, para los {steps} pasos que faltan. Para ver este capítulo funcionar en minutos, pon "
               "SMOKE = True en su celda de parámetros (ajustes reducidos); BUDGET = {budget:g} mantiene los "
               "ajustes completos y ejecuta el {budget:.1%} de cada entrenamiento (esta ejecución: unos "
               "{budget_eta}). Un entorno con GPU (Colab) lo ejecuta muchas veces más rápido."),
    },
    # ---------------------------------------------------------------- gansrc.style
    "random_multiscale": {"en": "random multi-scale network", "es": "red multiescala aleatoria"},
    "backbone_not_downloaded": {
        "en": "pretrained {backbone} weights are not downloaded in smoke mode",
        "es": "los pesos preentrenados de {backbone} no se descargan en modo smoke",
    },
    "backbone_failed": {
        "en": "could not load pretrained {backbone} weights ({error})",
        "es": "no se pudieron cargar los pesos preentrenados de {backbone} ({error})",
    },
    "backbone_fallback": {
        "en": "{reason}: using a {name} with random weights instead (Ustyuzhaninov et al. 2017).",
        "es": "{reason}: se usa en su lugar una {name} con pesos aleatorios (Ustyuzhaninov et al. 2017).",
    },
    "content_weight": {"en": "content weight", "es": "peso de contenido"},
    "style_scale": {"en": "style weights x", "es": "pesos de estilo x"},
    "tv_weight": {"en": "TV weight", "es": "peso de TV"},
    "style_losses": {
        "en": "content {content:.3g} | style {style:.3g} | TV {tv:.3g}",
        "es": "contenido {content:.3g} | estilo {style:.3g} | TV {tv:.3g}",
    },
    "style_sliders": {
        "en": "<b>Style transfer, {steps} steps per setting</b> (release a slider to recompute)",
        "es": "<b>Transferencia de estilo, {steps} pasos por ajuste</b> (suelta un control para recalcular)",
    },
    "segmenter_smoke": {
        "en": "segmentation network not downloaded in smoke mode: no network masks.",
        "es": "la red de segmentación no se descarga en modo smoke: no hay máscaras de la red.",
    },
    "segmenter_failed": {
        "en": "could not load the segmentation network ({error}): no network masks.",
        "es": "no se pudo cargar la red de segmentación ({error}): no hay máscaras de la red.",
    },
    # ---------------------------------------------------------------- gansrc.bench (chapter 08)
    "bench_timing": {"en": "timing {name} ...", "es": "cronometrando {name} ..."},
    "bench_device": {
        "en": "device: {device} ({kind}, threads: {threads}) | torch {torch} | {date}",
        "es": "dispositivo: {device} ({kind}, hilos: {threads}) | torch {torch} | {date}",
    },
    "bench_peak": {"en": "peak: {note}", "es": "pico: {note}"},
    "bench_no_peak_table": {"en": "no peak table for {what}", "es": "no hay tabla de picos para {what}"},
    "bench_no_peak_entry": {"en": "no peak entry for {name}", "es": "no hay pico conocido para {name}"},
    "bench_peak_of": {
        "en": "{gpu}: {tflops:g} TFLOP/s dense {precision}",
        "es": "{gpu}: {tflops:g} TFLOP/s densos en {precision}",
    },
    "bench_model": {"en": "model", "es": "modelo"},
    "bench_batch": {"en": "batch", "es": "lote"},
    "bench_plain_rate": {"en": "plain/s", "es": "tutorial/s"},
    "bench_ratio": {"en": "ratio", "es": "cociente"},
    "bench_flop_step": {"en": "FLOP/step", "es": "FLOP/paso"},
    "bench_of_peak": {"en": "of peak", "es": "del pico"},
    "bench_uses": {"en": "gansrc uses", "es": "gansrc usa"},
    "bench_footnote": {
        "en": "images/s are medians over the repetitions; ratio = gansrc / plain, both measured interleaved in this run.",
        "es": ("imágenes/s: medianas de las repeticiones; cociente = gansrc / tutorial, los dos medidos "
               "por turnos en esta ejecución."),
    },
    "bench_fused_adam": {"en": "fused Adam", "es": "Adam fusionado"},
    "bench_autocast": {"en": "{dtype} autocast", "es": "autocast en {dtype}"},
    "bench_gpu_only": {"en": "{name}: GPU only (no CUDA device here)", "es": "{name}: solo en GPU (aquí no hay dispositivo CUDA)"},
    "bench_needs": {
        "en": "{name}: needs {modules}, not on this branch",
        "es": "{name}: necesita {modules}, que no está en esta rama",
    },
    # ---------------------------------------------------------------- gansrc.trained.pages
    "trained_line": {
        "en": ("{name}: {steps:,} steps of {batch} on {device}, {minutes:.1f} minutes of training; "
               "torch {torch}, {date}, commit {commit}"),
        "es": ("{name}: {steps:,} pasos de {batch} en {device}, {minutes:.1f} minutos de entrenamiento; "
               "torch {torch}, {date}, commit {commit}"),
    },
    "thread": {"en": "{n} thread", "es": "{n} hilo"},
    "threads": {"en": "{n} threads", "es": "{n} hilos"},
    "fid_over_noise": {"en": "FID/noise", "es": "FID/ruido"},
    "entropy_bits": {"en": "entropy", "es": "entropía"},
    "cond_acc": {"en": "cond. acc.", "es": "exact. cond."},
    "floor_row": {"en": "real vs real ({n} + {n})", "es": "real frente a real ({n} + {n})"},
    "noise_row": {"en": "uniform noise", "es": "ruido uniforme"},
    "gan_table_note": {
        "en": ("{n:,} samples against the {n:,} held-out digits (8,000-9,999), which neither the GANs nor the "
               "classifier saw; the floor compares two shuffled halves of them ({half:,} each); entropy in bits "
               "(3.32 when all ten digits are equally common)."),
        "es": ("{n} muestras frente a los {n} dígitos reservados (8000-9999), que no vieron ni las GAN ni el "
               "clasificador; el suelo compara dos mitades barajadas de ellos ({half} cada una); entropía en "
               "bits (3.32 cuando los diez dígitos son igual de frecuentes)."),
    },
    "fid_held_out": {"en": "FID ({n:,} samples, held-out digits)", "es": "FID ({n} muestras, dígitos reservados)"},
    # ---------------------------------------------------------------- gansrc.models.summary
    "layer": {"en": "layer", "es": "capa"},
    "type": {"en": "type", "es": "tipo"},
    "output_shape": {"en": "output shape", "es": "forma de salida"},
    "parameters": {"en": "parameters", "es": "parámetros"},
    "total": {"en": "total", "es": "total"},
    # ---------------------------------------------------------------- gansrc.train.diagnostics
    "warning_at": {"en": "Warning at step {step}: {message}", "es": "Aviso en el paso {step}: {message}"},
    "discriminator_wins": {
        "en": ("the discriminator is winning outright. For the last {steps} steps it gave real images "
               "D(x) = {d_real:.3f} and fakes D(G(z)) = {d_fake:.3f}: it rejects every fake "
               "with confidence, and the generator learns little from a judge that is never in doubt. "
               "Try the non-saturating loss, fewer discriminator steps (d_steps), a lower learning rate, "
               "or a stronger generator."),
        "es": ("el discriminador gana sin discusión. En los últimos {steps} pasos dio a las imágenes reales "
               "D(x) = {d_real:.3f} y a las falsas D(G(z)) = {d_fake:.3f}: rechaza cada falsa con "
               "seguridad, y el generador aprende poco de un juez que nunca duda. Prueba la pérdida no "
               "saturante, menos pasos del discriminador (d_steps), una tasa de aprendizaje menor "
               "o un generador más fuerte."),
    },
    "vanishing_gradients": {
        "en": ("the generator's gradients have vanished: their norm is {norm:.2g}, "
               "{ratio:.1%} of the largest seen in this run ({peak:.2g}), "
               "and has stayed that small for {steps} steps. The generator is barely "
               "being told how to improve. With the minimax loss log(1 - D(G(z))) this is what happens when "
               "D(G(z)) is near 0; the non-saturating loss -log D(G(z)) keeps the gradient large there."),
        "es": ("los gradientes del generador se han desvanecido: su norma es {norm:.2g}, el "
               "{ratio:.1%} de la mayor vista en esta ejecución ({peak:.2g}), y sigue así de pequeña "
               "desde hace {steps} pasos. Al generador apenas se le dice cómo mejorar. Con la pérdida "
               "minimax log(1 - D(G(z))) esto pasa cuando D(G(z)) está cerca de 0; la pérdida no "
               "saturante -log D(G(z)) mantiene ahí el gradiente grande."),
    },
    "samples_alike": {
        "en": "the samples are nearly alike (their spread is {spread:.0%} of the real images')",
        "es": "las muestras son casi iguales (su dispersión es el {spread:.0%} de la de las imágenes reales)",
    },
    "classifier_reads": {
        "en": ("the classifier reads {share:.0%} of {n} samples as the digit{plural} {names} (class entropy "
               "{entropy:.2f} bits, down from {best:.2f} earlier in the run; 3.32 when all ten are equally common)"),
        "es": ("el clasificador lee el {share:.0%} de {n} muestras como {article} {names} (entropía de "
               "clases {entropy:.2f} bits, frente a {best:.2f} antes en la ejecución; 3,32 cuando los diez "
               "son igual de frecuentes)"),
    },
    "mode_collapse": {
        "en": ("the generator looks mode-collapsed: {symptoms}. It has settled on a few outputs "
               "instead of covering the data. Check that every sample gets its own noise vector and that the "
               "generator can reach the data's range; then try a lower learning rate or a different loss."),
        "es": ("el generador parece haber colapsado en modos: {symptoms}. Se ha quedado con unas pocas "
               "salidas en lugar de cubrir los datos. Comprueba que cada muestra recibe su propio vector "
               "de ruido y que el generador alcanza el rango de los datos; luego prueba una tasa de "
               "aprendizaje menor u otra pérdida."),
    },
    "last_log": {
        "en": " At the last log before it, loss_D was {loss_d:.3g} and loss_G {loss_g:.3g}.",
        "es": " En el último registro anterior, loss_D valía {loss_d:.3g} y loss_G {loss_g:.3g}.",
    },
    "earlier_warnings": {"en": " Earlier warnings of this run: {warnings}.", "es": " Avisos anteriores de esta ejecución: {warnings}."},
    "at_step": {"en": "{kind} (step {step})", "es": "{kind} (paso {step})"},
    "nonfinite": {
        "en": ("a loss became NaN or infinite at step {step}, so the weights are no longer numbers and training "
               "stops here.{before} The usual causes: a learning rate too high, the log of a probability that "
               "rounded to 0 (compute losses on logits), or data outside [-1, 1]."),
        "es": ("una pérdida se volvió NaN o infinita en el paso {step}, así que los pesos ya no son números y el "
               "entrenamiento se detiene aquí.{before} Las causas habituales: una tasa de aprendizaje demasiado "
               "alta, el logaritmo de una probabilidad que se redondeó a 0 (calcula las pérdidas sobre logits) "
               "o datos fuera de [-1, 1]."),
    },
    # ---------------------------------------------------------------- gansrc.train.classifier (chapter 01)
    "classifier_progress": {"en": "classifier", "es": "clasificador"},
}

_language = "en"


def set_language(lang: str) -> None:
    """Make ``lang`` ("en" or "es") the language of what gansrc writes from now on."""
    global _language
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    _language = lang


def language() -> str:
    """The language set last (English until a chapter sets one)."""
    return _language


def tr(key: str, *, lang: Optional[str] = None, **fields) -> str:
    """The string ``key`` in the current language (or ``lang``), with ``fields`` filled in
    (``str.format``)."""
    try:
        entry = STRINGS[key]
    except KeyError:
        raise KeyError(f"no text {key!r} in gansrc.text.STRINGS") from None
    template = entry[lang or _language]
    return template.format(**fields) if fields else template

