"""Feature extractors for style transfer: the activations of chosen layers of a frozen network.

Three backbones, all fed ImageNet-normalised images (see ``normalize``) and all frozen, in
eval mode:

* ``squeezenet1_1`` (the book's default, the network of the style-transfer write-up this
  chapter follows) and ``vgg19`` (the network of Gatys et al. 2016), with torchvision's
  ImageNet weights;
* ``RandomMultiScale``: random convolution filters at several scales, the network that needs
  no training (Ustyuzhaninov et al. 2017, "What does it take to generate natural textures?").
  ``load_extractor`` falls back to it, with one line saying so, when pretrained weights
  cannot be had (smoke mode never downloads). Chapter 07 shows what each can do.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..downloads import download_errors
from ..text import tr

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RANDOM_GAINS = (4.0, 10.0, 25.6, 47.6)  # 4 * (20000 / w) ** 0.25 for w = 20000, 500, 12, 1 (rounded)


def normalize(images: Tensor) -> Tensor:
    """RGB images in [0, 1], (N, 3, H, W), to the ImageNet-normalised input of the extractors."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"expected RGB images (N, 3, H, W), got shape {tuple(images.shape)}")
    mean = images.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = images.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (images - mean) / std


def denormalize(inputs: Tensor, clamp: bool = True) -> Tensor:
    """Undo ``normalize``: back to RGB in [0, 1] (clamped unless ``clamp=False``)."""
    mean = inputs.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = inputs.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    images = inputs * std + mean
    return images.clamp(0, 1) if clamp else images


class FeatureExtractor(nn.Module):
    """Maps an ImageNet-normalised batch to ``{layer name: activation}`` for the layers asked for.

    ``layer_names`` lists every layer that can be asked for, shallow to deep;
    ``content_layer`` and ``style_layers`` are this backbone's usual choices;
    ``pretrained`` says whether the weights were learned on ImageNet.
    """

    layer_names: tuple[str, ...] = ()
    content_layer: str = ""
    style_layers: tuple[str, ...] = ()
    name: str = ""
    pretrained: bool = False

    def check_layers(self, layers: Sequence[str]) -> list[str]:
        layers = [layers] if isinstance(layers, str) else list(layers)
        unknown = [name for name in layers if name not in self.layer_names]
        if unknown:
            raise KeyError(f"{self.name} has no layer {unknown[0]!r}; its layers are {', '.join(self.layer_names)}")
        if not layers:
            raise ValueError("ask for at least one layer")
        return layers

    def freeze(self) -> "FeatureExtractor":
        for module in self.modules():
            if isinstance(module, nn.ReLU):
                module.inplace = False  # an in-place ReLU would overwrite a stored activation
        return self.eval().requires_grad_(False)

    def _check_input(self, x: Tensor) -> None:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"{self.name} expects ImageNet-normalised RGB images (N, 3, H, W), got {tuple(x.shape)}")


class SequentialFeatures(FeatureExtractor):
    """The convolutional part of a torchvision classifier, run only as deep as needed."""

    def __init__(self, features: nn.Sequential, layer_names: Sequence[str], name: str, content_layer: str,
                 style_layers: Sequence[str], pretrained: bool) -> None:
        super().__init__()
        if len(features) != len(layer_names):
            raise ValueError(f"{len(layer_names)} names for {len(features)} layers")
        self.features = features
        self.layer_names = tuple(layer_names)
        self.name, self.content_layer, self.style_layers, self.pretrained = name, content_layer, tuple(style_layers), pretrained
        self.freeze()

    def forward(self, x: Tensor, layers: Sequence[str]) -> dict[str, Tensor]:
        self._check_input(x)
        wanted = set(self.check_layers(layers))
        out = {}
        for name, module in zip(self.layer_names, self.features):
            x = module(x)
            if name in wanted:
                out[name] = x
                if len(out) == len(wanted):
                    break
        return out


class RandomMultiScale(FeatureExtractor):
    """Random filters at several scales, followed by a ReLU: a texture model with no training.

    Ustyuzhaninov et al. (2017) found that a single layer of random convolutional filters of
    many sizes captures textures surprisingly well. Large filters are slow on a CPU, so here
    scale ``k`` applies ``kernel_size`` x ``kernel_size`` random filters to the image shrunk
    ``k`` times by ``shrink`` (a Gaussian pyramid): the receptive field doubles from one scale to the next at
    the cost of a small filter. Layer ``scale{k}`` is that scale's ReLU output, at 1/2**k of
    the input resolution. The filters are drawn from ``seed``, so the network is the same
    every time.

    ``gains`` multiply each scale's output. A layer's style loss grows as the fourth power of
    its gain (the Gram matrix is quadratic, the loss squares it), so the default ``RANDOM_GAINS`` = 4 (20000 / w)^(1/4) for the seed's style weights
    w = (20000, 500, 12, 1) makes every scale count alike under those weights (the seed tuned
    them for SqueezeNet's activations, whose sizes differ from layer to layer); the factor 4
    sets style against content and was chosen by looking at the results (chapter 07).
    """

    def __init__(self, scales: int = 4, channels: int = 32, kernel_size: int = 3, seed: int = 0,
                 gains: Optional[Sequence[float]] = None, padding_mode: str = "zeros") -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.convs = nn.ModuleList()
        for _ in range(scales):
            conv = nn.Conv2d(3, channels, kernel_size, padding=kernel_size // 2, padding_mode=padding_mode)
            fan_in = 3 * kernel_size * kernel_size
            with torch.no_grad():
                conv.weight.copy_(torch.randn(conv.weight.shape, generator=generator) * (2.0 / fan_in) ** 0.5)
                conv.bias.zero_()
            self.convs.append(conv)
        gains = list(RANDOM_GAINS[:scales] if gains is None else gains)
        if len(gains) != scales:
            raise ValueError(f"{len(gains)} gains for {scales} scales")
        self.register_buffer("gains", torch.tensor(gains, dtype=torch.float32))
        self.layer_names = tuple(f"scale{k}" for k in range(scales))
        self.content_layer = self.layer_names[min(1, scales - 1)]
        self.style_layers = self.layer_names
        self.name, self.pretrained = tr("random_multiscale"), False
        self.freeze()

    def forward(self, x: Tensor, layers: Sequence[str]) -> dict[str, Tensor]:
        self._check_input(x)
        wanted = self.check_layers(layers)
        levels = [self.layer_names.index(name) for name in wanted]
        pyramid = [x]
        for _ in range(max(levels)):
            pyramid.append(shrink(pyramid[-1]))
        return {name: F.relu(self.convs[k](pyramid[k])) * self.gains[k] for name, k in zip(wanted, levels)}


def shrink(x: Tensor) -> Tensor:
    """Half the resolution: a 5-tap binomial blur, then every other pixel (one level of a
    Gaussian pyramid). Unlike 2x2 average pooling, its gradient has no 2x2 blocks."""
    taps = x.new_tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16
    c = x.shape[1]
    x = F.pad(x, (2, 2, 2, 2), mode="reflect")
    x = F.conv2d(x, taps.view(1, 1, 1, 5).expand(c, 1, 1, 5), groups=c)
    x = F.conv2d(x, taps.view(1, 1, 5, 1).expand(c, 1, 5, 1), groups=c)
    return x[:, :, ::2, ::2]


# Layer names of the torchvision backbones, in the order of their ``features`` modules, and the
# layers the literature uses: the seed write-up's for SqueezeNet, Gatys et al.'s for VGG-19.
SQUEEZENET_LAYERS = ("conv1", "relu1", "pool1", "fire2", "fire3", "pool3", "fire4", "fire5", "pool5",
                     "fire6", "fire7", "fire8", "fire9")


def _vgg19_layer_names() -> tuple[str, ...]:
    names = []
    for block, convs in enumerate((2, 2, 4, 4, 4), start=1):
        for i in range(1, convs + 1):
            names += [f"conv{block}_{i}", f"relu{block}_{i}"]
        names.append(f"pool{block}")
    return tuple(names)


VGG19_LAYERS = _vgg19_layer_names()
BACKBONES = {
    "squeezenet1_1": dict(layers=SQUEEZENET_LAYERS, content="fire2", style=("relu1", "fire3", "fire4", "fire5")),
    "vgg19": dict(layers=VGG19_LAYERS, content="relu4_2", style=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")),
}


def _torchvision_model(backbone: str, pretrained: bool) -> nn.Module:
    import torchvision

    builder = getattr(torchvision.models, backbone)
    return builder(weights="DEFAULT" if pretrained else None)


def _from_model(backbone: str, model: nn.Module, pretrained: bool, average_pooling: bool) -> SequentialFeatures:
    spec = BACKBONES[backbone]
    features = model.features
    if average_pooling:  # Gatys et al. 2016 found average pooling gives slightly smoother images
        for i, module in enumerate(features):
            if isinstance(module, nn.MaxPool2d):
                features[i] = nn.AvgPool2d(module.kernel_size, module.stride, module.padding, module.ceil_mode)
    return SequentialFeatures(features, spec["layers"], backbone, spec["content"], spec["style"], pretrained)


def load_extractor(backbone: str = "squeezenet1_1", download: bool = True, weights: Optional[Path | str] = None,
                   device: torch.device | str = "cpu", average_pooling: bool = False, verbose: bool = True) -> FeatureExtractor:
    """A frozen feature extractor, pretrained when possible.

    * ``weights`` given: the torchvision state dict in that file (e.g. a copy of
      ``squeezenet1_1-b8a52dc0.pth``), loaded with ``weights_only=True``; a wrong file is an error.
    * else ``download=True``: torchvision's ImageNet weights (from its cache, or downloaded).
    * else, or when the download fails: ``RandomMultiScale``, announced in one line. Smoke
      mode passes ``download=False``, so nothing touches the network.
    """
    if backbone not in BACKBONES:
        raise ValueError(f"unknown backbone {backbone!r}; choose one of {', '.join(BACKBONES)}")
    if weights is not None:
        path = Path(weights)
        if not path.exists():
            raise FileNotFoundError(f"weights file {path} does not exist")
        model = _torchvision_model(backbone, pretrained=False)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            state = state.get("state_dict", state) if isinstance(state, dict) else state
            model.load_state_dict(state)
        except Exception as exc:
            raise ValueError(f"{path} is not a {backbone} state dict that torchvision can load ({type(exc).__name__}: {exc})".splitlines()[0]) from exc
        return _from_model(backbone, model, True, average_pooling).to(device)
    if download:
        try:
            model = _torchvision_model(backbone, pretrained=True)
            return _from_model(backbone, model, True, average_pooling).to(device)
        except download_errors() as exc:  # no network, a proxy, a corrupt cache: fall back, do not stop the chapter
            first = str(exc).splitlines()[0] if str(exc) else ""
            reason = tr("backbone_failed", backbone=backbone, error=f"{type(exc).__name__}: {first}")
    else:
        reason = tr("backbone_not_downloaded", backbone=backbone)
    if verbose:
        print(tr("backbone_fallback", reason=reason, name=tr("random_multiscale")))
    return RandomMultiScale().to(device)
