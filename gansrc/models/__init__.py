"""Models. They know nothing about training: each maps tensors to tensors."""
from .classifier import MNISTClassifier, load_classifier, save_classifier
from .mlp import MLPDiscriminator, MLPGenerator

__all__ = ["MLPDiscriminator", "MLPGenerator", "MNISTClassifier", "load_classifier", "save_classifier"]
