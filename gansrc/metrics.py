"""How good are generated digits? FID and KID on the book's classifier, and a class histogram.
How good is a predicted mask? Intersection over union and pixel accuracy (chapter 05).

Inception-v3 features (the usual FID) need downloaded ImageNet weights and 299x299 RGB
inputs; for MNIST the book's own classifier (chapter 01) is the better judge and works
offline. torchmetrics computes the distances; we only supply the feature extractor.
Numbers are comparable within this book, not with FIDs published on Inception features.
"""
from __future__ import annotations

import warnings
from typing import Optional

import torch
from torch import Tensor, nn

from .data.batches import to_signed_float
from .models.classifier import predict


class ClassifierFeatures(nn.Module):
    """Wraps the MNIST classifier so torchmetrics sees an extractor with ``num_features``."""

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.classifier = classifier.eval().requires_grad_(False)
        self.num_features = classifier.num_features

    def forward(self, images: Tensor) -> Tensor:
        return self.classifier.features(to_signed_float(images))

    def features_and_classes(self, images: Tensor) -> tuple[Tensor, Optional[Tensor]]:
        """The features and the predicted classes of ``images`` from one pass (classes None for a
        classifier without ``features_and_logits``)."""
        if not hasattr(self.classifier, "features_and_logits"):
            return self(images), None
        features, logits = self.classifier.features_and_logits(to_signed_float(images))
        return features, logits.argmax(1)


class _Features(nn.Module):
    """What torchmetrics is given as its extractor: the features, already computed (passed through)."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features


class FeatureDistances:
    """FID and, unless ``kid=False``, KID between a fixed set of ``real`` images and any batch of
    fakes, on the classifier's features. The real features are computed once, so scoring a
    generator many times (``FIDTracker``) costs only the fakes; each image goes through the
    classifier once, for both distances. ``kid_subset_size`` is capped by
    the number of real images and by ``n_fake``, the size of the batches that will be scored.
    After a call, ``fake_classes`` holds the classifier's predicted class of each fake (what
    ``predict`` gives), read from the same pass as the features (None if it cannot tell)."""

    def __init__(self, real: Tensor, classifier: nn.Module, *, kid: bool = True, batch_size: int = 500,
                 kid_subset_size: int = 500, n_fake: Optional[int] = None, seed: int = 0) -> None:
        from torchmetrics.image.fid import FrechetInceptionDistance
        from torchmetrics.image.kid import KernelInceptionDistance

        self.device = next(classifier.parameters()).device
        self.batch_size, self.seed = batch_size, seed
        self.features = ClassifierFeatures(classifier)
        features = _Features(self.features.num_features)
        self.fid = FrechetInceptionDistance(feature=features, normalize=True, reset_real_features=False).to(self.device)
        self.kid = None
        if kid:
            subset = min(kid_subset_size, len(real), n_fake or len(real))
            with warnings.catch_warnings():  # "KID keeps all features in memory": a few thousand here
                warnings.simplefilter("ignore", UserWarning)
                self.kid = KernelInceptionDistance(feature=features, subset_size=subset, normalize=True,
                                                   reset_real_features=False).to(self.device)
        self.fake_classes: Optional[Tensor] = None
        self._update(real, real=True)

    @torch.no_grad()
    def _update(self, images: Tensor, real: bool) -> None:
        classes = []
        for i in range(0, len(images), self.batch_size):
            batch = images[i: i + self.batch_size].to(self.device)
            if real:
                features = self.features(batch)
            else:
                features, predicted = self.features.features_and_classes(batch)
                classes.append(predicted)
            self.fid.update(features, real=real)
            if self.kid is not None:
                self.kid.update(features, real=real)
        if not real:
            self.fake_classes = None if None in classes else torch.cat(classes).cpu()

    @torch.no_grad()
    def __call__(self, fake: Tensor) -> dict[str, float]:
        """Scores of ``fake`` (uint8 or floats in [-1, 1]): "fid", and "kid", "kid_std" if kept."""
        self.fid.reset()  # forgets the previous fakes, keeps the real features
        if self.kid is not None:
            self.kid.reset()
        self._update(fake, real=False)
        scores = {"fid": float(self.fid.compute())}
        if self.kid is not None:
            # KID draws its random subsets from the global CPU generator (torch.randperm): seed only that
            # one, inside a fork that restores it; torch.manual_seed would reseed every CUDA generator too
            with torch.random.fork_rng(devices=[]):
                torch.default_generator.manual_seed(self.seed)
                kid_mean, kid_std = self.kid.compute()
            scores.update(kid=float(kid_mean), kid_std=float(kid_std))
        return scores


def fid_kid(real: Tensor, fake: Tensor, classifier: nn.Module, batch_size: int = 500, kid_subset_size: int = 500, seed: int = 0) -> dict[str, float]:
    """FID and KID (mean and std over subsets) between two sets of images.

    Images may be uint8 or floats in [-1, 1]. Lower is better; two samples of the same
    distribution give a small positive FID, not zero. Each image goes through the classifier
    once; both distances are computed from the same features.
    """
    return FeatureDistances(real, classifier, batch_size=batch_size, kid_subset_size=kid_subset_size,
                            n_fake=len(fake), seed=seed)(fake)


def real_floor(real: Tensor, classifier: nn.Module, n: Optional[int] = None, seed: int = 0, **options) -> dict[str, float]:
    """FID and KID between two disjoint halves of ``n`` real images drawn at random (seeded)
    from ``real``: the score a perfect generator would get, the floor of the scale.

    The halves are shuffled, not the first and last images: a data set stored in order (the MNIST
    test set holds two groups of writers one after the other) would otherwise put different
    writers on each side. The unbiased KID of two samples of one distribution scatters around
    zero, so it can come out slightly negative. ``options`` go to :func:`fid_kid`.
    """
    n = len(real) if n is None else n
    if not 2 <= n <= len(real):
        raise ValueError(f"real_floor needs 2 <= n <= {len(real)} (the real images given), got n={n}")
    order = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))[:n]
    return fid_kid(real[order[: n // 2]], real[order[n // 2:]], classifier, **options)


def class_histogram(classifier: nn.Module, images: Tensor, num_classes: int = 10) -> Tensor:
    """How many of ``images`` the classifier assigns to each class (exposes mode collapse)."""
    return torch.bincount(predict(classifier, images), minlength=num_classes)


def histogram_entropy(counts: Tensor) -> float:
    """Entropy of a class histogram in bits: log2(10) = 3.32 when all digits are equally common."""
    p = counts.double() / counts.sum()
    p = p[p > 0]
    return float(-(p * p.log2()).sum())


def evaluate_samples(classifier: nn.Module, real: Tensor, fake: Tensor, labels: Optional[Tensor] = None) -> dict[str, float]:
    """FID, KID, the class histogram's entropy and (when ``labels`` are the requested
    classes of conditional samples) the fraction the classifier reads as requested."""
    result = fid_kid(real, fake, classifier)
    counts = class_histogram(classifier, fake)
    result["class_entropy_bits"] = histogram_entropy(counts)
    if labels is not None:
        result["label_accuracy"] = float((predict(classifier, fake) == labels.cpu()).float().mean())
    return result


class FIDTracker:
    """A trainer callback that scores the generator every ``every`` steps.

    It draws its own fixed noise (so tracking never changes the training run) and records
    FID and KID against ``real`` in ``steps``, ``fid`` and ``kid`` (``kid=False`` skips KID,
    the costlier of the two on a CPU). The real images' features are computed once. Pass it in
    ``callbacks=[tracker]``; it runs when the trainer logs, so ``every`` should be a multiple
    of ``log_every``. Its scores are part of the trainer's checkpoints, so a resumed run (or the
    training cell run again after the run finished) has the whole curve.
    """

    def __init__(self, classifier: nn.Module, real: Tensor, every: int, n_samples: int = 1000, seed: int = 123,
                 kid: bool = True) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a whole number of steps, at least 1, not {every!r}.")
        if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 2:
            raise ValueError(f"n_samples must be a whole number of at least 2, not {n_samples!r} (FID needs a spread).")
        self.classifier, self.real, self.every = classifier, real[:n_samples], every
        self.z_seed, self.n, self.with_kid = seed, n_samples, kid
        self.steps: list[int] = []
        self.fid: list[float] = []
        self.kid: list[float] = []
        self._distances: Optional[FeatureDistances] = None

    def __call__(self, trainer, logs: dict) -> None:
        if trainer.step % self.every:
            return
        z = torch.randn(self.n, trainer.latent_dim, generator=torch.Generator().manual_seed(self.z_seed))
        labels = (torch.arange(self.n) % trainer.num_classes) if trainer.num_classes else None
        fake = trainer.sample(z=z.to(trainer.device), labels=labels)
        if self._distances is None:
            self._distances = FeatureDistances(self.real, self.classifier, kid=self.with_kid, n_fake=self.n)
        scores = self._distances(fake)
        self.steps.append(trainer.step)
        self.fid.append(scores["fid"])
        if self.with_kid:
            self.kid.append(scores["kid"])

    def state_dict(self) -> dict:
        """The scores so far (the trainer stores them in its checkpoints)."""
        return {"steps": list(self.steps), "fid": list(self.fid), "kid": list(self.kid)}

    def load_state_dict(self, state: dict) -> None:
        self.steps, self.fid, self.kid = list(state["steps"]), list(state["fid"]), list(state["kid"])


def binarize(masks: Tensor, threshold: float = 0.0) -> Tensor:
    """Masks (uint8 in [0, 255] or floats in [-1, 1]) to booleans: True where above ``threshold``
    on the [-1, 1] scale (0, the midpoint, by default)."""
    return to_signed_float(masks) > threshold


def segmentation_scores(predicted: Tensor, target: Tensor, threshold: float = 0.0) -> dict[str, float]:
    """Foreground IoU and pixel accuracy of thresholded masks, pooled over the whole set.

    ``iou`` = |predicted AND target| / |predicted OR target| counted over every pixel of
    every image (as Cityscapes scores a class); ``pixel_accuracy`` = fraction of pixels whose
    predicted class (digit or background) is right. ``background_accuracy`` is the pixel
    accuracy of predicting "background" everywhere: the floor that pixel accuracy must beat.
    """
    if predicted.shape != target.shape:
        raise ValueError(f"predicted masks {tuple(predicted.shape)} and targets {tuple(target.shape)} must have the same shape.")
    p, t = binarize(predicted, threshold), binarize(target, threshold)
    union = (p | t).sum().item()
    return {
        "iou": (p & t).sum().item() / union if union else 1.0,
        "pixel_accuracy": (p == t).double().mean().item(),
        "background_accuracy": (~t).double().mean().item(),
    }
