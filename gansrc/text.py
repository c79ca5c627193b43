"""The words gansrc puts on figures and in warnings, in the chapter's language (en or es).

A chapter passes its ``LANG`` parameter to ``gansrc.start_chapter``, which calls
``set_language``; ``tr(key)`` then gives the string of that key in that language. A chapter's
own strings go through ``run.text(en=..., es=...)`` (``gansrc.ChapterRun.text``), so the code
cells of the English and Spanish chapters stay identical.
"""
from __future__ import annotations

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
    # ---------------------------------------------------------------- gansrc.trained.pages
    "trained_line": {
        "en": ("{name}: {steps:,} steps of {batch} on {device}, {minutes:.1f} minutes of training; "
               "torch {torch}, {date}, commit {commit}"),
        "es": ("{name}: {steps:,} pasos de {batch} en {device}, {minutes:.1f} minutos de entrenamiento; "
               "torch {torch}, {date}, commit {commit}"),
    },
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


def tr(key: str, **fields) -> str:
    """The string ``key`` in the current language, with ``fields`` filled in (``str.format``)."""
    try:
        entry = STRINGS[key]
    except KeyError:
        raise KeyError(f"no text {key!r} in gansrc.text.STRINGS") from None
    return entry[_language].format(**fields) if fields else entry[_language]

