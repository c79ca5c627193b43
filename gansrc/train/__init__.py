"""Training: the shared loop, the GAN, classifier, pix2pix and CycleGAN trainers, checkpoints, diagnostics, TensorBoard."""
from .checkpoint import CheckpointDir, CheckpointError, atomic_save, load_checkpoint
from .diagnostics import Diagnosis, TrainingDiagnostics, sample_spread
from .classifier import ClassifierTrainer, train_mnist_classifier
from .cyclegan import CycleGANTrainer
from .image2image import Pix2PixTrainer, translate
from .image_pool import ImagePool
from .precision import Precision
from .schedule import constant_then_linear_decay
from .tensorboard import TensorBoardLogger
from .trainer import GANTrainer, NonFiniteLossError, Trainer, adam, gradient_norm

__all__ = [
    "CheckpointDir", "CheckpointError", "ClassifierTrainer", "CycleGANTrainer", "ImagePool", "Diagnosis", "GANTrainer", "NonFiniteLossError",
    "Pix2PixTrainer", "Precision", "TensorBoardLogger", "Trainer", "TrainingDiagnostics", "adam", "atomic_save", "constant_then_linear_decay", "gradient_norm",
    "load_checkpoint", "sample_spread", "train_mnist_classifier", "translate",
]
