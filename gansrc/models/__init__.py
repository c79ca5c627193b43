"""Models. They know nothing about training: each maps tensors to tensors."""
from .classifier import MNISTClassifier, load_classifier, save_classifier
from .conditional import ConditionalDiscriminator, ConditionalGenerator, ProjectionDiscriminator
from .init import gaussian_init_
from .mlp import MLPDiscriminator, MLPGenerator
from .patchgan import PatchDiscriminator, patchgan_receptive_field, receptive_field
from .unet import UNetGenerator, unet_depth

__all__ = [
    "ConditionalDiscriminator", "ConditionalGenerator", "MLPDiscriminator", "MLPGenerator", "MNISTClassifier",
    "PatchDiscriminator", "ProjectionDiscriminator", "UNetGenerator", "gaussian_init_", "load_classifier",
    "patchgan_receptive_field", "receptive_field", "save_classifier", "unet_depth",
]
