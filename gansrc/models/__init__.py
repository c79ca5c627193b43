"""Models. They know nothing about training: each maps tensors to tensors."""
from .classifier import MNISTClassifier, accuracy, load_classifier, predict, save_classifier
from .conditional import ConditionalDiscriminator, ConditionalGenerator, ProjectionDiscriminator
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .init import dcgan_init, gaussian_init_
from .mlp import MLPDiscriminator, MLPGenerator
from .patchgan import PatchDiscriminator, patchgan_receptive_field, receptive_field
from .resnet import ResidualBlock, ResnetGenerator
from .summary import layer_info, layer_table, multiply_adds
from .unet import UNetGenerator, unet_depth

__all__ = [
    "ConditionalDiscriminator", "ConditionalGenerator", "DCGANDiscriminator", "DCGANGenerator", "MLPDiscriminator",
    "MLPGenerator", "MNISTClassifier", "PatchDiscriminator", "ProjectionDiscriminator", "ResidualBlock", "ResnetGenerator", "UNetGenerator", "dcgan_init",
    "accuracy", "gaussian_init_", "layer_info", "layer_table", "load_classifier", "multiply_adds", "patchgan_receptive_field",
    "predict", "receptive_field", "save_classifier", "unet_depth",
]
