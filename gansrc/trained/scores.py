"""The metrics a trained model's record keeps, measured on images it never trained on.

The judge is the book's MNIST classifier (chapter 01); its features give FID and KID. Digits are
scored against the 2,000 held-out bundled digits (8,000-9,999), which neither the generators nor
the classifier saw. The colour DCGAN has no judge (the classifier reads digits only).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from ..data import to_mnist_format, to_signed_float
from ..metrics import FeatureDistances, histogram_entropy, segmentation_scores
from ..models.classifier import accuracy, predict
from ..train import translate
from .recipes import Recipe
from .tasks import Task


@torch.no_grad()
def generate(generator: nn.Module, n: int, latent_dim: int, labels: Optional[torch.Tensor] = None, seed: int = 123,
             batch_size: int = 500) -> torch.Tensor:
    """``n`` images in [-1, 1] on the CPU from fixed noise (eval mode; ``labels`` for a conditional generator)."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    z = torch.randn(n, latent_dim, generator=torch.Generator().manual_seed(seed))
    out = []
    for i in range(0, n, batch_size):
        zi = z[i: i + batch_size].to(device)
        out.append((generator(zi) if labels is None else generator(zi, labels[i: i + batch_size].to(device))).float().cpu())
    generator.train(was_training)
    return torch.cat(out)


def gan_scores(generator: nn.Module, recipe: Recipe, held_out: torch.Tensor, judge: nn.Module,
               distances: Optional[FeatureDistances] = None, noise_fid: Optional[float] = None) -> dict[str, float]:
    """FID and KID against the held-out digits, uniform noise's FID the same way, the class entropy
    and, for a conditional generator, the fraction of samples the judge reads as the digit asked for
    (``distances``: the held-out digits' features, computed once for several generators;
    ``noise_fid``: the noise's FID against the same ``distances``, if already measured)."""
    n = len(held_out)
    num_classes = recipe.options.get("num_classes")
    labels = torch.arange(n) % num_classes if num_classes else None
    fakes = generate(generator, n, recipe.options["latent_dim"], labels)
    distances = distances or FeatureDistances(held_out, judge, n_fake=n)
    scores = distances(fakes)
    # the judge's reading of each fake, from the pass that gave its features
    predicted = distances.fake_classes if distances.fake_classes is not None else predict(judge, fakes)
    if noise_fid is None:
        noise = torch.rand(n, *held_out.shape[1:], generator=torch.Generator().manual_seed(7)) * 2 - 1
        noise_fid = distances(noise)["fid"]
    result = {"fid": scores["fid"], "kid": scores["kid"], "noise_fid": noise_fid, "fid_over_noise_fid": scores["fid"] / noise_fid,
              "class_entropy_bits": histogram_entropy(torch.bincount(predicted, minlength=10)), "n_samples": n}
    if labels is not None:
        result["conditional_accuracy"] = float((predicted == labels).float().mean())
    return result


def pix2pix_scores(generator: nn.Module, task: Task) -> dict[str, float]:
    """IoU and pixel accuracy of the predicted masks of the held-out scenes, and their L1 to the targets."""
    predicted = translate(generator, task.test_pairs.a)
    result = segmentation_scores(predicted, task.test_pairs.b)
    result["l1"] = (predicted - to_signed_float(task.test_pairs.b)).abs().mean().item()
    result["n_test"] = len(task.test_pairs)
    return result


def cyclegan_scores(g: nn.Module, f: nn.Module, task: Task, judge: nn.Module) -> dict[str, float]:
    """Chapter 06's scores on the held-out test set: labels kept (A->B, B->A->B), cycle errors, FID in B."""
    test = task.test_set
    a, b = to_signed_float(test.a), to_signed_float(test.b)
    fake_b, fake_a = translate(g, test.a), translate(f, test.b)
    fid_b = FeatureDistances(to_mnist_format(test.b), judge, kid=False)
    return {"label_kept_a_to_b": accuracy(judge, to_mnist_format(fake_b), test.labels_a),
            "label_kept_b_to_a_to_b": accuracy(judge, to_mnist_format(translate(g, fake_a)), test.labels_b),
            "cycle_error_a": (translate(f, fake_b) - a).abs().mean().item(),
            "cycle_error_b": (translate(g, fake_a) - b).abs().mean().item(),
            "fid_in_b": fid_b(to_mnist_format(fake_b))["fid"], "n_test": len(test.a)}


def final_scores(recipe: Recipe, networks: dict[str, nn.Module], task: Task, judge: Optional[nn.Module]) -> dict:
    """The record's metrics for ``recipe``'s trained ``networks`` (an empty table where there is no judge)."""
    if recipe.kind == "pix2pix":
        return pix2pix_scores(networks["generator"], task)
    if recipe.kind == "cyclegan":
        return cyclegan_scores(networks["generator_ab"], networks["generator_ba"], task, judge)
    if task.held_out is None:
        return {}
    return gan_scores(networks["generator"], recipe, task.held_out, judge)
