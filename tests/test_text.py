"""gansrc.text: the words on figures, in tables and in warnings, in English or Spanish."""
from __future__ import annotations

import string

import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402
import torch  # noqa: E402

import gansrc  # noqa: E402
from gansrc import text, viz  # noqa: E402
from gansrc.models.summary import layer_table  # noqa: E402
from gansrc.train.diagnostics import TrainingDiagnostics  # noqa: E402


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    text.set_language("en")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(text.STRINGS))
def test_every_key_has_both_languages_with_the_same_fields(key):
    entry = text.STRINGS[key]
    assert set(entry) == set(text.LANGUAGES), f"{key}: languages {sorted(entry)}"
    assert all(entry[lang].strip() for lang in text.LANGUAGES), f"{key}: an empty string"
    # A field may be one language's only (the Spanish article, the English plural 's'),
    # but the numbers a message reports are in both.
    numbers = {"budget", "where", "mode", "step", "steps", "norm", "ratio", "peak", "spread", "share", "n", "entropy", "best",
               "d_real", "d_fake", "loss_d", "loss_g", "i", "j", "digit", "pair", "n_a", "n_b", "total", "size", "seed",
               "pid", "minutes", "keep", "per_step", "content", "style", "tv"}
    assert fields(entry["en"]) & numbers == fields(entry["es"]) & numbers, key


def test_spanish_strings_come_out_in_spanish_mode():
    assert text.language() == "en" and text.tr("step") == "step"
    text.set_language("es")
    assert text.language() == "es"
    assert text.tr("step") == "paso"
    assert text.tr("step_n", step=40) == "paso 40"
    assert text.tr("warning_at", step=3, message="x") == "Aviso en el paso 3: x"


def test_an_unknown_key_or_language_is_a_clear_error():
    with pytest.raises(KeyError, match="no text 'nope'"):
        text.tr("nope")
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        text.set_language("fr")
    assert text.language() == "en"  # a bad language changes nothing


def test_start_chapter_sets_the_language_and_run_text_picks_by_it(capsys):
    run = gansrc.start_chapter(True, lang="es")
    assert run.lang == "es" and text.language() == "es"
    assert run.text(en="loss", es="pérdida") == "pérdida"
    run = gansrc.start_chapter(True)
    assert run.lang == "en" and text.language() == "en"
    assert run.text(en="loss", es="pérdida") == "loss"


def test_figures_are_labelled_in_the_chapter_language():
    history = {"step": [1, 2], "loss_d": [1.0, 0.9], "loss_g": [0.7, 0.8], "d_real": [0.6, 0.5], "d_fake": [0.4, 0.5]}
    for lang, step, legend in (("en", "step", "discriminator loss"), ("es", "paso", "pérdida del discriminador")):
        text.set_language(lang)
        fig = viz.plot_history(history)
        ax = fig.axes[0]
        assert ax.get_xlabel() == step
        assert legend in [t.get_text() for t in ax.get_legend().get_texts()]
        fig = viz.plot_class_histogram(torch.ones(10))
        assert fig.axes[0].get_ylabel() == text.tr("samples")
        matplotlib.pyplot.close("all")


def test_layer_table_headers_follow_the_language():
    model = torch.nn.Sequential(torch.nn.Linear(4, 2))
    assert layer_table(model, torch.zeros(1, 4)).splitlines()[0].split()[0] == "layer"
    text.set_language("es")
    head = layer_table(model, torch.zeros(1, 4)).splitlines()[0]
    assert head.split()[:2] == ["capa", "tipo"] and "parámetros" in head


def test_diagnostics_warn_in_the_chapter_language():
    printed = []
    text.set_language("es")
    diagnostics = TrainingDiagnostics(printer=printed.append)
    diagnostics.on_nonfinite(None, 15)
    assert printed[0].startswith("Aviso en el paso 15: una pérdida se volvió NaN")


def test_the_runtime_line_follows_the_language():
    from gansrc.runtime import describe_runtime

    cpu = torch.device("cpu")
    assert "device: CPU | mode: smoke (reduced settings, bundled data)" in describe_runtime(True, cpu)
    text.set_language("es")
    assert "dispositivo: CPU | modo: smoke (ajustes reducidos, datos incluidos)" in describe_runtime(True, cpu)
    assert "presupuesto 0.5" in describe_runtime(False, cpu, 0.5)


# ------------------------------------------------------------------ what gansrc prints on a page
# Each message a chapter can show, produced by the code that prints it, in both languages. The
# English lines are the ones the English pages store, so they must not change.

LANGS = pytest.mark.parametrize("lang", text.LANGUAGES)


def said(lang, capsys, action):
    """What ``action()`` prints (stdout and stderr) with gansrc in ``lang``, and what it returns."""
    text.set_language(lang)
    capsys.readouterr()
    result = action()
    out, err = capsys.readouterr()
    return out + err, result


@LANGS
def test_mnist_loaders_say_what_they_use(lang, capsys, tmp_path, no_network):
    from gansrc.data import ImageSet, load_fashion_mnist, load_mnist
    from gansrc.data.mnist import _said

    out, ds = said(lang, capsys, lambda: load_mnist("train", download=False))
    assert out == {"en": "MNIST: bundled MNIST test set (10,000 images).\n",
                   "es": "MNIST: conjunto de prueba de MNIST incluido en el libro (10000 imágenes).\n"}[lang]
    assert ds.source == "bundled MNIST test set (10,000 images)"  # the record stays English
    out, _ = said(lang, capsys, lambda: load_mnist("train", download=True, root=tmp_path))
    assert out.startswith({"en": "Full MNIST could not be downloaded (", "es": "No se pudo descargar MNIST completo ("}[lang])
    assert {"en": "; using the bundled MNIST test set", "es": "; se usa el conjunto de prueba de MNIST incluido"}[lang] in out
    out, _ = said(lang, capsys, lambda: load_fashion_mnist("train", download=False))
    assert out == {
        "en": ("Fashion-MNIST is not available offline (download=False); using the bundled MNIST test set "
               "(10,000 images) instead.\nImages: bundled MNIST test set (10,000 images).\n"),
        "es": ("Fashion-MNIST no está disponible sin conexión (download=False); se usa en su lugar el conjunto de "
               "prueba de MNIST incluido en el libro (10000 imágenes).\nImágenes: conjunto de prueba de MNIST "
               "incluido en el libro (10000 imágenes).\n"),
    }[lang]
    full = ImageSet(ds.images[:3], None, "full MNIST train set (3 images)")
    assert _said(full, "train", False) == {"en": "full MNIST train set (3 images)",
                                           "es": "MNIST completo, conjunto de entrenamiento (3 imágenes)"}[lang]
    assert _said(full, "test", True) == {"en": "full Fashion-MNIST test set (3 images)",
                                         "es": "Fashion-MNIST completo, conjunto de prueba (3 imágenes)"}[lang]


@LANGS
def test_colour_images_and_folders_say_what_they_use(lang, capsys, tmp_path, no_network):
    from PIL import Image

    from gansrc.data import load_celeba, load_image_folder
    from gansrc.downloads import failure_reason

    out, _ = said(lang, capsys, lambda: load_celeba(size=16, download=True, root=tmp_path / "celeba"))
    first, second = out.strip().splitlines()[-2:]  # after any line torchvision prints
    assert first.startswith({"en": "CelebA could not be downloaded (", "es": "No se pudo descargar CelebA ("}[lang])
    assert second.startswith({"en": "Colour images: 2,048 patches of scikit-image's sample photos (chelsea, ",
                              "es": "Imágenes en color: 2048 recortes de las fotos de muestra de scikit-image "
                                    "(chelsea, "}[lang])
    assert text.tr("celeba_faces", n=4, total=162770, size=16) == {
        "en": "CelebA faces (4 of the 162,770 training images, 16x16)",
        "es": "caras de CelebA (4 de las 162770 imágenes de entrenamiento, 16x16)"}[lang]
    for i in range(2):
        Image.new("RGB", (8, 8), (i * 100, 0, 0)).save(tmp_path / f"{i}.png")
    out, ds = said(lang, capsys, lambda: load_image_folder(tmp_path, size=8, progress=True))
    assert {"en": f"decoding {tmp_path.name}", "es": f"decodificando {tmp_path.name}"}[lang] in out
    assert ds.source == {"en": f"2 images from {tmp_path}", "es": f"2 imágenes de {tmp_path}"}[lang]
    assert failure_reason(OSError()) == {"en": "OSError: no details", "es": "OSError: sin detalles"}[lang]


@LANGS
def test_paired_and_unpaired_sets_are_described_in_the_language(lang, capsys, tmp_path, no_network):
    from gansrc.data import (load_bundled_mnist, load_paired_folder, load_unpaired_folder, save_paired_folder,
                             save_unpaired_folder, unpaired_digits)
    from gansrc.data.paired import fetch_dataset
    from gansrc.data.synthetic import digit_scenes

    text.set_language(lang)
    mnist = load_bundled_mnist()
    textures = [torch.full((3, 48, 48), 90, dtype=torch.uint8)]
    scenes = digit_scenes(2, mnist.images[:2], size=16, textures=textures, seed=3)
    assert scenes.source == {"en": "2 digit scenes (16x16, seed 3)", "es": "2 escenas de dígitos (16x16, semilla 3)"}[lang]
    save_paired_folder(scenes, tmp_path / "pairs" / "train")
    pairs = load_paired_folder(tmp_path / "pairs", "train", direction="BtoA", channels=(3, 3))
    assert pairs.source == {"en": f"2 train pairs from {tmp_path / 'pairs'} (reversed)",
                            "es": f"2 pares (train) de {tmp_path / 'pairs'} (invertido)"}[lang]
    domains = unpaired_digits(mnist.images[:8], mnist.labels[:8], 2, 3, size=16, textures=textures, seed=1)
    assert domains.source == {"en": "2 coloured and 3 plain digits from disjoint MNIST images (16x16, seed 1)",
                              "es": "2 dígitos coloreados y 3 dígitos lisos de imágenes de MNIST disjuntas "
                                    "(16x16, semilla 1)"}[lang]
    save_unpaired_folder(domains, tmp_path / "domains", "test")
    loaded = load_unpaired_folder(tmp_path / "domains", "test")
    assert loaded.reversed().source == {"en": f"test: 2 images in A, 3 in B, from {tmp_path / 'domains'} (reversed)",
                                        "es": f"test: 2 imágenes en A, 3 en B, de {tmp_path / 'domains'} (invertido)"}[lang]
    out, folder = said(lang, capsys, lambda: fetch_dataset("facades", "http://127.0.0.1:9/facades.tar.gz", True,
                                                            tmp_path / "offline", "train", root=tmp_path / "dl"))
    assert folder == tmp_path / "offline"
    assert out.startswith({"en": "The facades data set could not be downloaded (",
                           "es": "No se pudo descargar el conjunto de datos facades ("}[lang])
    assert out.endswith({"en": "); using offline instead.\n", "es": "); se usa offline en su lugar.\n"}[lang])


@LANGS
def test_the_trainer_says_how_it_resumed(lang, capsys, tmp_path):
    from gansrc.data import TensorBatches, load_bundled_mnist
    from gansrc.models import MLPDiscriminator, MLPGenerator
    from gansrc.train import GANTrainer, load_checkpoint

    data = load_bundled_mnist().images[:64]

    def gan(**kw):
        torch.manual_seed(0)
        return GANTrainer(MLPGenerator(latent_dim=4, hidden=(8,)), MLPDiscriminator(hidden=(8,)),
                          TensorBatches(data, batch_size=16), latent_dim=4, checkpoint_dir=tmp_path,
                          checkpoint_every=2, sample_every=0, **kw)

    text.set_language(lang)
    gan().fit(4, show_progress=False)
    step = {"en": "step", "es": "paso"}[lang]
    out, _ = said(lang, capsys, lambda: gan().resume())
    assert out == {"en": f"Resumed from {tmp_path / 'ckpt-00000004.pt'} (step 4).\n",
                   "es": f"Reanudado desde {tmp_path / 'ckpt-00000004.pt'} (paso 4).\n"}[lang]
    out, _ = said(lang, capsys, lambda: gan(lr=1e-4).resume())
    assert out.endswith({"en": "(step 4), with settings changed since that checkpoint, used from now on: "
                               "lr 0.0002 -> 0.0001.\n",
                         "es": "(paso 4), con ajustes cambiados desde ese punto de control, que se usan a partir "
                               "de ahora: lr 0.0002 -> 0.0001.\n"}[lang])
    state = load_checkpoint(tmp_path / "ckpt-00000004.pt")
    state["rng"]["device"] = "cuda"  # as if written on a GPU
    torch.save(state, tmp_path / "ckpt-00000004.pt")
    out, _ = said(lang, capsys, lambda: gan().resume())
    assert {"en": "was written on cuda, this run is on cpu: training continues from the saved weights, "
                  "with fresh noise.",
            "es": "se escribió en cuda y esta ejecución está en cpu: el entrenamiento sigue desde los "
                  "pesos guardados, con ruido nuevo."}[lang] in out
    (tmp_path / "ckpt-00000004.pt").write_bytes(b"not a checkpoint")
    out, _ = said(lang, capsys, lambda: gan().resume())
    assert out.startswith({"en": "Skipping damaged checkpoint: ", "es": "Se omite un punto de control dañado: "}[lang])
    assert f"({step} 2)" in out

    trainer = gan()
    opt, calls = trainer.optimizers["generator"], [0]
    real_step = opt.step

    def interrupted(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 2:
            opt.step = real_step
            raise KeyboardInterrupt
        return real_step(*args, **kwargs)

    opt.step = interrupted
    with pytest.raises(KeyboardInterrupt):
        trainer.fit(6, show_progress=False)
    out, _ = said(lang, capsys, lambda: trainer.fit(6, show_progress=False))
    assert out.startswith({
        "en": "The last fit() stopped in the middle of training (KeyboardInterrupt after step 3): going back to "
              "the last checkpoint so that the run stays exact.\n",
        "es": "El último fit() se detuvo a mitad del entrenamiento (KeyboardInterrupt tras el paso 3): se vuelve "
              "al último punto de control para que la ejecución siga siendo exacta.\n"}[lang])


@LANGS
def test_a_lock_left_behind_is_taken_over_in_the_language(lang, capsys, tmp_path):
    import json
    import socket

    from gansrc.train.runlock import LOCK_NAME, RunLock

    dead = 2 ** 22 + 12345  # above Linux's default pid_max: no process has it
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead, "host": socket.gethostname(), "started": "then"}))
    lock = RunLock(tmp_path)
    out, _ = said(lang, capsys, lock.acquire)
    lock.release()
    assert out == {"en": f"Taking over the lock of {tmp_path} left by process {dead} on {socket.gethostname()!r} "
                         f"(process {dead} is no longer running).\n",
                   "es": f"Se toma el cerrojo de {tmp_path} que dejó el proceso {dead} en {socket.gethostname()!r} "
                         f"(el proceso {dead} ya no se ejecuta).\n"}[lang]
    text.set_language(lang)
    assert lock._stale_reason({}) == {"en": "it is gone", "es": "ha desaparecido"}[lang]  # released: no file


@LANGS
def test_the_forecast_and_the_drive_message_follow_the_language(lang, capsys):
    from gansrc.runtime import runs_dir, use_google_drive
    from gansrc.train.pace import duration, forecast

    text.set_language(lang)
    assert [duration(s) for s in (600, 7200, 3 * 86400)] == {
        "en": ["10 minutes", "2.0 hours", "3.0 days"], "es": ["10 minutos", "2.0 horas", "3.0 días"]}[lang]
    assert forecast(2.0, 19997).startswith({
        "en": "About 11.1 hours on this CPU: 2 s per step, measured on the steps just run, for 19,997 steps to go.",
        "es": "Unos 11.1 horas en esta CPU: 2 s por paso, medidos en los pasos recién ejecutados, para los 19997 "
              "pasos que faltan."}[lang])
    out, _ = said(lang, capsys, use_google_drive)
    assert out == {"en": f"Not running on Colab: checkpoints stay in {runs_dir()}.\n",
                   "es": f"No se ejecuta en Colab: los puntos de control se quedan en {runs_dir()}.\n"}[lang]
    assert text.tr("drive_mounted", target="/x", keep=2).startswith(
        {"en": "Checkpoints and downloads now go to /x on Google Drive; each run keeps its 2 newest",
         "es": "Los puntos de control y las descargas van ahora a /x en Google Drive; cada ejecución conserva sus 2"}[lang])


@LANGS
def test_style_transfer_says_what_it_falls_back_to(lang, capsys, monkeypatch):
    from gansrc import style
    from gansrc.style import features

    out, extractor = said(lang, capsys, lambda: style.load_extractor("vgg19", download=False))
    assert extractor.name == {"en": "random multi-scale network", "es": "red multiescala aleatoria"}[lang]
    assert out == {
        "en": "pretrained vgg19 weights are not downloaded in smoke mode: using a random multi-scale network "
              "with random weights instead (Ustyuzhaninov et al. 2017).\n",
        "es": "los pesos preentrenados de vgg19 no se descargan en modo smoke: se usa en su lugar una red "
              "multiescala aleatoria con pesos aleatorios (Ustyuzhaninov et al. 2017).\n"}[lang]

    def unreachable(*args, **kwargs):
        raise OSError("no route to host")

    monkeypatch.setattr(features, "_torchvision_model", unreachable)
    out, _ = said(lang, capsys, lambda: style.load_extractor("squeezenet1_1", download=True))
    assert out.startswith({"en": "could not load pretrained squeezenet1_1 weights (OSError: no route to host): using a",
                           "es": "no se pudieron cargar los pesos preentrenados de squeezenet1_1 (OSError: no route "
                                 "to host): se usa en su lugar una"}[lang])
    out, model = said(lang, capsys, lambda: style.regions.load_segmenter(download=False))
    assert model is None and out == {
        "en": "segmentation network not downloaded in smoke mode: no network masks.\n",
        "es": "la red de segmentación no se descarga en modo smoke: no hay máscaras de la red.\n"}[lang]
    import torchvision.models.segmentation as segmentation

    monkeypatch.setattr(segmentation, "deeplabv3_mobilenet_v3_large", unreachable)
    out, model = said(lang, capsys, lambda: style.regions.load_segmenter(download=True))
    assert model is None and out == {
        "en": "could not load the segmentation network (OSError): no network masks.\n",
        "es": "no se pudo cargar la red de segmentación (OSError): no hay máscaras de la red.\n"}[lang]


@LANGS
def test_the_weight_grid_is_labelled_in_the_language(lang):
    from gansrc import style

    text.set_language(lang)
    torch.manual_seed(0)
    image = torch.rand(1, 3, 16, 16)
    fig = style.weight_grid(style.RandomMultiScale(channels=4), image, image.flip(-1), rows=("tv_weight", [0.1]),
                            columns=("content_weight", [1.0]), steps=1, method="adam")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_ylabel()) == {"en": ("content weight 1", "TV weight 0.1"),
                                                 "es": ("peso de contenido 1", "peso de TV 0.1")}[lang]
    matplotlib.pyplot.close("all")


@LANGS
def test_the_classifier_progress_bar_is_named_in_the_language(lang):
    from gansrc.data import TensorBatches
    from gansrc.models import MNISTClassifier
    from gansrc.train import ClassifierTrainer

    text.set_language(lang)
    batches = TensorBatches(torch.zeros(4, 1, 28, 28, dtype=torch.uint8), torch.zeros(4, dtype=torch.long),
                            batch_size=2)
    trainer = ClassifierTrainer(MNISTClassifier(width=4), batches)
    assert trainer.desc == {"en": "classifier", "es": "clasificador"}[lang]


@LANGS
def test_a_nan_loss_stops_training_with_a_message_in_the_language(lang, tmp_path):
    from gansrc import losses
    from gansrc.data import TensorBatches
    from gansrc.models import MLPDiscriminator, MLPGenerator
    from gansrc.train import GANTrainer, NonFiniteLossError

    text.set_language(lang)
    calls = {"n": 0}

    def d_loss(real, fake):  # finite for the first step, NaN from the second on
        calls["n"] += 1
        loss = losses.bce_discriminator_loss(real, fake)
        return loss * torch.nan if calls["n"] >= 2 else loss

    poisoned = losses.AdversarialLoss("NaN from step 2", d_loss, losses.nonsaturating_generator_loss)
    messages = []
    for folder in (None, tmp_path / "run"):
        calls["n"] = 0
        torch.manual_seed(0)
        trainer = GANTrainer(MLPGenerator(latent_dim=4, hidden=(8,)), MLPDiscriminator(hidden=(8,)),
                             TensorBatches(torch.zeros(8, 1, 28, 28, dtype=torch.uint8), batch_size=4),
                             latent_dim=4, loss=poisoned, checkpoint_dir=folder, checkpoint_every=1,
                             log_every=1)
        with pytest.raises(NonFiniteLossError) as error:
            trainer.fit(3, show_progress=False)
        messages.append(str(error.value))
    start = {"en": "A loss became NaN or infinite at step 2; training stopped. ",
             "es": "Una pérdida se volvió NaN o infinita en el paso 2; el entrenamiento se detuvo. "}[lang]
    assert all(m.startswith(start) for m in messages)
    assert {"en": "No checkpoint was written", "es": "No se escribió ningún punto de control"}[lang] in messages[0]
    last = {"en": "The last good checkpoint is ", "es": "El último punto de control sano es "}[lang]
    assert last + str(tmp_path / "run") in messages[1]


@LANGS
def test_the_benchmark_table_follows_the_language(lang):
    """Chapters 07-08: ``python -m gansrc.bench`` (English) prints what it always did."""
    from gansrc.bench import Setup, device_peak, table
    from gansrc.bench.families import select

    text.set_language(lang)
    _, skipped = select(["mlp", "pix2pix256"], Setup(torch.device("cpu"), quick=True))
    _, note = device_peak(torch.device("cpu"))
    env = {"device": "AMD EPYC", "device_type": "cpu", "threads": 1, "torch": "2.0", "date": "today",
           "peak_note": note}
    row = {"model": "mlp", "batch_size": 64, "plain_median": 1.0, "gansrc_median": 2.0, "ratio": 2.0,
           "flops_per_step_gansrc": 1e9, "achieved_flops_gansrc": 1e10, "peak_fraction_gansrc": None,
           "notes": [text.tr("bench_fused_adam")]}
    lines = table(env, [row], skipped).splitlines()
    assert lines[:2] == {
        "en": ["device: AMD EPYC (cpu, threads: 1) | torch 2.0 | today", "peak: no peak table for CPUs"],
        "es": ["dispositivo: AMD EPYC (cpu, hilos: 1) | torch 2.0 | today",
               "pico: no hay tabla de picos para CPUs"]}[lang]
    assert lines[2].split("  ")[0] == {"en": "model", "es": "modelo"}[lang]
    assert lines[4].endswith({"en": "fused Adam", "es": "Adam fusionado"}[lang])
    assert lines[5:] == {
        "en": ["images/s are medians over the repetitions; ratio = gansrc / plain, both measured "
               "interleaved in this run.", "[skipped] pix2pix256: GPU only (no CUDA device here)"],
        "es": ["imágenes/s: medianas de las repeticiones; cociente = gansrc / tutorial, los dos "
               "medidos por turnos en esta ejecución.",
               "[skipped] pix2pix256: solo en GPU (aquí no hay dispositivo CUDA)"]}[lang]
    assert text.tr("bench_timing", name="mlp") == {"en": "timing mlp ...", "es": "cronometrando mlp ..."}[lang]
    assert text.tr("bench_peak_of", gpu="T4", tflops=65.0, precision="fp16") == {
        "en": "T4: 65 TFLOP/s dense fp16", "es": "T4: 65 TFLOP/s densos en fp16"}[lang]


@LANGS
def test_a_shipped_cyclegan_data_is_described_in_the_language(lang):
    from gansrc.trained import load_trained, pages, tasks

    text.set_language(lang)
    model = load_trained("cyclegan")
    assert pages.describe_data(model) == {
        "en": model.record["data"],  # the record's own words, unchanged
        "es": "4000 dígitos coloreados y 4000 dígitos lisos de imágenes de MNIST disjuntas (32x32, semilla 0); "
              "puntuados con 300 dígitos coloreados y 300 dígitos lisos de imágenes de MNIST disjuntas "
              "(32x32, semilla 1) (dígitos apartados)"}[lang]
    # worded from the options alone, as build_task words the task it builds
    options = {"size": 16, "n_train": 5, "n_test": 40, "limit": 20}
    task = tasks.build_task("unpaired-digits", batch_size=2, device=torch.device("cpu"), seed=0, options=options)
    assert task.description == tasks.unpaired_description(options)
    assert task.description.startswith({"en": "5 coloured", "es": "5 dígitos coloreados"}[lang])
    assert task.description.endswith({"en": "seed 1) (held-out digits)", "es": "semilla 1) (dígitos apartados)"}[lang])
