"""Training: the shared loop, the GAN and classifier trainers, checkpoints."""
from .checkpoint import CheckpointDir, CheckpointError, atomic_save, load_checkpoint
from .classifier import ClassifierTrainer, accuracy, predict, train_mnist_classifier
from .image2image import Pix2PixTrainer, translate
from .precision import Precision
from .trainer import GANTrainer, NonFiniteLossError, Trainer, adam

__all__ = [
    "CheckpointDir", "CheckpointError", "ClassifierTrainer", "GANTrainer", "NonFiniteLossError",
    "Pix2PixTrainer", "Precision", "Trainer", "accuracy", "adam", "atomic_save", "load_checkpoint", "predict", "train_mnist_classifier", "translate",
]
