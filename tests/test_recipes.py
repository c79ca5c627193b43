"""The trained models' recipes, their training command and their shipped files (gansrc.trained).

Training is never part of the tests: every recipe runs for two steps at a tiny size, so none can
rot, and the files that ship are loaded against their records.
"""
from __future__ import annotations

import dataclasses
import datetime
import json
import re

import pytest
import torch

from gansrc.train import load_checkpoint
from gansrc.models import load_classifier
from gansrc.trained import RECIPES, Recipe, TrainedModelError, load_trained, pages, read_record, recipe, trained_dir
from gansrc.trained.build import build_network, build_networks
from gansrc.trained.cli import _size, main
from gansrc.trained.run import train_recipe
from gansrc.trained.shipped import TrainedModel, record_path, sha256, weights_path, write_record

CPU = torch.device("cpu")
SHIPPED_LIMIT = 30_000_000  # bytes: everything under data/trained


def train_tiny(r, tmp_path, **kwargs):
    return train_recipe(r, device=CPU, folder=tmp_path / "shipped", checkpoints=tmp_path / "runs" / r.name,
                        show_progress=False, **kwargs)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """A tiny dcgan-28 trained for two steps and shipped to a temporary folder."""
    tmp = tmp_path_factory.mktemp("trained")
    r = recipe("dcgan-28").tiny()
    record = train_tiny(r, tmp)
    return r, tmp / "shipped", record


# ----------------------------------------------------------------------------- the recipes
def test_the_issue_s_models_have_recipes_and_the_fc_dcgan_pair_sees_the_same_images():
    names = set(RECIPES)
    for needed in ["gan-fc", "dcgan-28", "dcgan-200-basic", "dcgan-200-deluxe", "dcgan-200-diffaugment", "dcgan-64-colour",
                   "cgan-concat", "cgan-projection", "pix2pix-l1", "pix2pix-cgan", "pix2pix", "pix2pix-1000",
                   "cyclegan", "cyclegan-no-cycle", "cyclegan-no-identity"]:
        assert needed in names
    fc, dc = recipe("gan-fc"), recipe("dcgan-28")
    assert (fc.task, fc.batch_size, fc.steps, fc.seed) == (dc.task, dc.batch_size, dc.steps, dc.seed)
    ablation = {n: (recipe(n).options["lambda_l1"], "discriminator" in recipe(n).models)
                for n in ["pix2pix-l1", "pix2pix-cgan", "pix2pix", "pix2pix-1000"]}
    assert ablation == {"pix2pix-l1": (100.0, False), "pix2pix-cgan": (0.0, True), "pix2pix": (100.0, True),
                        "pix2pix-1000": (1000.0, True)}
    assert recipe("cyclegan-no-cycle").options["lambda_cycle"] == 0 < recipe("cyclegan").options["lambda_cycle"]
    assert recipe("cyclegan-no-identity").options["lambda_identity"] == 0 < recipe("cyclegan").options["lambda_identity"]
    with pytest.raises(KeyError, match="the recipes are: gan-fc"):
        recipe("dcgan-29")


def test_everything_the_recipes_ship_fits_in_30_mb():
    total = sum(_size(build_networks(r, r.ships)) for r in RECIPES.values())
    assert total <= SHIPPED_LIMIT, f"the recipes would ship {total / 1e6:.1f} MB"


def test_a_recipe_s_fingerprint_ignores_its_length_only():
    r = recipe("dcgan-28")
    assert r.fingerprint() == dataclasses.replace(r, steps=r.steps * 2, fid_every=7).fingerprint()
    assert r.fingerprint() != dataclasses.replace(r, batch_size=r.batch_size + 1).fingerprint()
    assert r.fingerprint() != r.tiny().fingerprint()


@pytest.mark.parametrize("name", list(RECIPES))
def test_every_recipe_trains_two_steps_at_a_tiny_size_and_loads_back(name, tmp_path):
    r = recipe(name).tiny()
    record = train_tiny(r, tmp_path)
    assert record["steps"] == 2 and record["recipe"] == r.to_dict()
    model = load_trained(name, tmp_path / "shipped")
    assert set(model.networks) == set(r.ships)
    for role, net in model.networks.items():
        assert not net.training and all(p.dtype == torch.float32 for p in net.parameters())
    if r.kind == "gan":
        z = torch.randn(3, r.options["latent_dim"])
        out = model.generator(z, torch.arange(3)) if r.options.get("num_classes") else model.generator(z)
        assert out.shape[0] == 3 and torch.isfinite(out).all()
    expected = {"gan": {"fid", "class_entropy_bits"} if r.task.startswith("mnist") else set(),
                "pix2pix": {"iou", "pixel_accuracy"}, "cyclegan": {"label_kept_a_to_b", "cycle_error_a"}}[r.kind]
    assert expected <= set(record["metrics"])
    if r.options.get("num_classes"):
        assert "conditional_accuracy" in record["metrics"]
    if r.fid_every:
        assert record["fid_curve"]["steps"] == [1, 2]


# ----------------------------------------------------------------------------- exact resume
class Killed(Exception):
    """Stands for the process being killed: the next run is built from nothing but the checkpoints."""


def kill_at(step):
    def callback(trainer, logs):
        if trainer.step == step:
            raise Killed(f"killed at step {step}")
    return callback


@pytest.mark.parametrize("name", ["dcgan-28", "cyclegan"])
def test_a_killed_run_resumes_to_the_weights_of_an_uninterrupted_one(name, tmp_path, capsys):
    r = recipe(name).tiny(steps=6)
    whole = train_tiny(r, tmp_path / "whole", checkpoint_every=3)
    with pytest.raises(Killed):
        train_tiny(r, tmp_path / "killed", checkpoint_every=3, callbacks=[kill_at(5)])
    assert not record_path(name, tmp_path / "killed" / "shipped").exists()
    capsys.readouterr()
    resumed = train_tiny(r, tmp_path / "killed", checkpoint_every=3)
    assert re.search(r"Resumed from .*ckpt-00000003\.pt \(step 3\)", capsys.readouterr().out)  # not a fresh start
    a = torch.load(weights_path(name, tmp_path / "whole" / "shipped"), weights_only=True)["networks"]
    b = torch.load(weights_path(name, tmp_path / "killed" / "shipped"), weights_only=True)["networks"]
    for role in a:
        for key in a[role]:
            assert torch.equal(a[role][key], b[role][key]), f"{role}.{key} differs after the resume"
    assert resumed["history"] == whole["history"] and resumed["metrics"] == whole["metrics"]
    assert resumed["fid_curve"] == whole["fid_curve"]


def test_shipped_files_that_match_the_recipe_are_not_trained_again(shipped, tmp_path, capsys):
    r, folder, record = shipped
    before = weights_path(r.name, folder).stat().st_mtime_ns
    again = train_recipe(r, device=CPU, folder=folder, checkpoints=tmp_path / "unused", show_progress=False)
    assert "not trained again" in capsys.readouterr().out
    assert again == record and weights_path(r.name, folder).stat().st_mtime_ns == before
    assert not (tmp_path / "unused").exists()


# ----------------------------------------------------------------------------- records and loading
def test_the_record_says_how_where_and_from_what_the_model_was_trained(shipped):
    r, folder, record = shipped
    for key in ["recipe", "steps", "wall_time_s", "device", "torch", "date", "git_commit", "git_dirty", "weights_sha256",
                "history", "fid_curve", "metrics", "data"]:
        assert key in record
    assert record == json.loads(record_path(r.name, folder).read_text())
    assert record["weights_sha256"] == sha256(weights_path(r.name, folder))
    assert record["device"].startswith("CPU") and record["torch"] == torch.__version__ and record["wall_time_s"] > 0
    assert datetime.datetime.fromisoformat(record["date"]).tzinfo is not None
    assert record["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", record["git_commit"])
    assert record["git_dirty"] in (True, False, None)
    assert len(record["history"]["loss_d"]) == len(record["history"]["step"]) == 2
    assert "held-out" in record["data"]


def test_the_loaded_generator_is_the_trained_one_in_float16(shipped):
    r, folder, _ = shipped
    state = load_checkpoint(sorted((folder.parent / "runs" / r.name).glob("ckpt-*.pt"))[-1])
    trained = build_network(*r.models["generator"])
    trained.load_state_dict(state["models"]["generator"])
    z = torch.randn(8, r.options["latent_dim"], generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected, got = trained.eval()(z), load_trained(r.name, folder).generator(z)
    assert torch.allclose(got, expected, atol=2e-2) and not torch.equal(got, build_network(*r.models["generator"]).eval()(z))


def copy_shipped(shipped, tmp_path):
    r, folder, _ = shipped
    target = tmp_path / "copy"
    target.mkdir()
    for path in (weights_path(r.name, folder), record_path(r.name, folder)):
        (target / path.name).write_bytes(path.read_bytes())
    return r, target


def test_load_trained_refuses_a_tampered_weights_file(shipped, tmp_path):
    r, folder = copy_shipped(shipped, tmp_path)
    data = bytearray(weights_path(r.name, folder).read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights_path(r.name, folder).write_bytes(bytes(data))
    with pytest.raises(TrainedModelError, match="does not match its record: its SHA-256"):
        load_trained(r.name, folder)


def test_load_trained_refuses_a_missing_weights_file_or_record(shipped, tmp_path):
    r, folder = copy_shipped(shipped, tmp_path)
    weights_path(r.name, folder).unlink()
    with pytest.raises(TrainedModelError, match="weights of 'dcgan-28' are missing"):
        load_trained(r.name, folder)
    record_path(r.name, folder).unlink()
    with pytest.raises(TrainedModelError, match=r"record .* is missing. Train it with `python -m gansrc.trained train dcgan-28`"):
        load_trained(r.name, folder)
    with pytest.raises(TrainedModelError, match="No recipe is called 'nothing' either"):
        load_trained("nothing", folder)


def test_load_trained_refuses_weights_of_another_architecture(shipped, tmp_path):
    r, folder = copy_shipped(shipped, tmp_path)
    record = read_record(r.name, folder)
    record["recipe"]["models"]["generator"][1]["width"] = 8  # the file (and its SHA-256) is unchanged
    write_record(record, record_path(r.name, folder))
    with pytest.raises(TrainedModelError, match=r"not those of the generator its record describes .*different generator "
                                                r"architecture: .* has shape"):
        load_trained(r.name, folder)


def test_load_trained_refuses_a_record_that_is_not_one(shipped, tmp_path):
    r, folder = copy_shipped(shipped, tmp_path)
    record_path(r.name, folder).write_text("{not json")
    with pytest.raises(TrainedModelError, match="cannot be read"):
        load_trained(r.name, folder)


@pytest.mark.parametrize("name", ["pix2pix", "cyclegan"])
def test_a_translation_model_is_scored_on_its_recipe_s_held_out_data_whatever_its_batch(name, tmp_path):
    from gansrc.trained import pages

    r = recipe(name).tiny()
    assert r.batch_size > 1  # the evaluation task builds one training image only: batches of one
    train_tiny(r, tmp_path)
    model = load_trained(name, tmp_path / "shipped")
    task = pages.evaluation_task(model)
    held = task.test_pairs if r.kind == "pix2pix" else task.test_set
    assert len(held.a) == model.record["metrics"]["n_test"] < recipe(name).task_options["n_test"]
    if r.kind == "pix2pix":  # pix2pix's scores need no judge: they compare with the true masks
        assert pages.scores(model, None, task) == pytest.approx(model.record["metrics"], abs=1e-3)


# ----------------------------------------------------------------------------- what ships
def test_every_shipped_model_loads_against_its_record_and_its_current_recipe():
    folder = trained_dir()
    records = sorted(folder.glob("*.json")) if folder.exists() else []
    if not records:
        pytest.skip(f"no trained model is shipped yet in {folder} (make trained writes them)")
    names = {p.stem for p in records}
    assert names <= set(RECIPES), f"records without a recipe: {sorted(names - set(RECIPES))}"
    assert {p.stem for p in folder.glob("*.pt")} == names, "every weights file needs its record and vice versa"
    for name in sorted(names):
        model = load_trained(name, folder)
        assert model.record["recipe"] == RECIPES[name].to_dict(), f"{name} was trained from an older recipe: retrain it"
        assert model.record["steps"] == RECIPES[name].steps
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert total <= SHIPPED_LIMIT, f"{folder} holds {total / 1e6:.1f} MB"


def test_the_command_lists_the_recipes_and_refuses_an_unknown_one(capsys):
    assert main(["list"]) == 0
    assert "pix2pix-1000" in capsys.readouterr().out
    with pytest.raises(KeyError, match="No trained-model recipe is called 'nope'"):
        main(["train", "nope", "--device", "cpu"])



def test_the_train_command_trains_to_the_folder_and_goes_on_after_a_failed_recipe(tmp_path, monkeypatch, capsys):
    import gansrc.trained.cli as cli

    monkeypatch.setenv("GANSRC_RUNS", str(tmp_path / "runs"))
    tiny = {n: recipe(n).tiny() for n in ("cgan-concat", "pix2pix")}
    monkeypatch.setattr(cli, "chosen", lambda names: [tiny[n] for n in names])
    real = cli.train_recipe

    def failing_pix2pix(r, **kwargs):
        if r.name == "pix2pix":
            raise FloatingPointError("a loss became NaN")
        return real(r, **kwargs)

    monkeypatch.setattr(cli, "train_recipe", failing_pix2pix)
    assert main(["train", "pix2pix", "cgan-concat", "--device", "cpu", "--threads", "1", "--out", str(tmp_path / "shipped")]) == 1
    out = capsys.readouterr().out
    assert "[1/2] pix2pix FAILED: FloatingPointError: a loss became NaN" in out
    assert "[2/2] cgan-concat:" in out and "conditional_accuracy" in out and "Failed: pix2pix." in out
    assert load_trained("cgan-concat", tmp_path / "shipped").record["steps"] == 2
    assert list((tmp_path / "runs" / "trained" / "cgan-concat").iterdir())[0].name == tiny["cgan-concat"].fingerprint()


def test_the_git_state_ignores_the_shipped_folder_being_written_only(tmp_path, monkeypatch):
    import subprocess

    import gansrc.trained.run as run

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)

    git("init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("add", "code.py")
    git("commit", "-qm", "code")
    monkeypatch.setattr(run, "repo_root", lambda: tmp_path)
    (tmp_path / "data" / "trained").mkdir(parents=True)
    (tmp_path / "data" / "trained" / "m.pt").write_bytes(b"weights")
    state = run.git_state(tmp_path / "data" / "trained")
    assert re.fullmatch(r"[0-9a-f]{40}", state["git_commit"]) and state["git_dirty"] is False
    assert run.git_state()["git_dirty"] is True
    (tmp_path / "code.py").write_text("x = 2\n")
    assert run.git_state(tmp_path / "data" / "trained")["git_dirty"] is True


# ----------------------------------------------------------------------------- what the chapters show
def test_a_record_gives_back_the_recipe_it_was_trained_with(shipped):
    r, folder, record = shipped
    again = Recipe.from_dict(record["recipe"])
    assert again.to_dict() == record["recipe"] and again.fingerprint() == r.fingerprint()
    assert all(Recipe.from_dict(x.to_dict()).to_dict() == x.to_dict() for x in RECIPES.values())


def test_the_chapter_line_and_table_come_from_the_shipped_model(shipped, capsys):
    r, folder, record = shipped
    model = load_trained(r.name, folder)
    line = pages.describe(model)
    assert line.startswith(f"{r.name}: 2 steps of {r.batch_size} on CPU") and record["date"][:10] in line
    judge = load_classifier()
    table = pages.gan_table([model], judge, names=["tiny DCGAN, with a name too long for 26"])
    out = capsys.readouterr().out
    assert len({len(line) for line in out.splitlines()[:-1]}) == 1  # the columns line up under long labels
    live = table[r.name]
    # the page measures what the record measured, from the float16 weights: equal to a few digits
    assert live["fid"] == pytest.approx(record["metrics"]["fid"], rel=1e-2)
    assert f"{live['fid']:.2f}" in out and "tiny DCGAN" in out
    assert f"{table['floor']['fid']:.2f}" in out and f"{live['noise_fid']:.2f}" in out
    assert table["floor"]["fid"] < live["fid"]  # two steps of training: far from real digits


def test_the_training_figure_has_the_record_s_curves_and_fid_curve(shipped):
    r, folder, record = shipped
    fig = pages.plot_training(load_trained(r.name, folder))
    assert len(fig.axes) == 3
    assert list(fig.axes[2].lines[0].get_xdata()) == record["fid_curve"]["steps"]
    assert list(fig.axes[0].lines[0].get_ydata()) == record["history"]["loss_d"]


def test_the_training_figure_takes_the_chapter_s_titles_and_labels(shipped):
    r, folder, record = shipped
    fig = pages.plot_training(load_trained(r.name, folder), panels=(("loss_d", "loss_g"),),
                              titles=["the losses"], labels={"loss_d": "D's loss"})
    assert fig.axes[0].get_title() == "the losses"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()][0] == "D's loss"


@pytest.mark.parametrize("name", ["pix2pix", "cyclegan"])
def test_a_translation_model_is_scored_on_the_held_out_digits_without_its_training_set(name):
    r = recipe(name)
    task = pages.evaluation_task(TrainedModel(name, {"recipe": r.to_dict()}, {}))
    test = task.test_pairs.a if r.kind == "pix2pix" else task.test_set.a
    assert len(test) == r.task_options["n_test"]  # the held-out set the record was scored on
    assert len(task.batches) == 1  # one training image, not thousands


def test_the_chapter_line_speaks_the_page_s_language(shipped):
    from gansrc.text import set_language

    r, folder, record = shipped
    model = load_trained(r.name, folder)
    model.record = {**model.record, "device": "CPU (1 threads)"}  # the older records' spelling
    assert "on CPU (1 thread)," in pages.describe(model)
    set_language("es")
    try:
        assert f"{r.name}: 2 pasos de {r.batch_size} en CPU (1 hilo)," in pages.describe(model)
        model.record["device"] = "CPU (2 threads)"
        assert "en CPU (2 hilos)," in pages.describe(model)
    finally:
        set_language("en")
