"""Models. They know nothing about training: each maps tensors to tensors."""
from .classifier import MNISTClassifier, load_classifier, save_classifier
from .dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init
from .mlp import MLPDiscriminator, MLPGenerator
from .summary import layer_info, layer_table, multiply_adds

__all__ = [
    "DCGANDiscriminator", "DCGANGenerator", "MLPDiscriminator", "MLPGenerator", "MNISTClassifier", "dcgan_init",
    "layer_info", "layer_table", "load_classifier", "multiply_adds", "save_classifier",
]
