"""Training loops written the way the PyTorch tutorials write them: the benchmark's baseline.

Everything here is deliberately ordinary: float32 NCHW tensors, a ``DataLoader`` over a
``Dataset`` that turns each uint8 image into a PIL image and applies torchvision's
``ToTensor`` and ``Normalize`` (as the DCGAN tutorial does), ``zero_grad``/``backward``/``step``
called separately for each network, and ``.item()`` on every loss at every step to keep the
loss curves. The images are held decoded in memory (no JPEG decoding), which flatters this
baseline a little.
"""
from __future__ import annotations

from typing import Iterator, Optional, Sequence

import torch
from PIL import Image
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, Sampler
from torchvision import transforms


def tutorial_transform(channels: int) -> transforms.Compose:
    """PIL image -> float tensor in [-1, 1]: ``ToTensor`` then ``Normalize(0.5, 0.5)``."""
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * channels, [0.5] * channels)])


class PILImages(Dataset):
    """uint8 images (N, C, H, W) served one at a time through PIL and per-image transforms.

    ``groups`` splits the channels into separate images (e.g. ``(3, 3)`` for a pix2pix pair
    stored side by side in channels); each is transformed alone and the results are joined.
    """

    def __init__(self, images: Tensor, labels: Optional[Tensor] = None, groups: Optional[Sequence[int]] = None) -> None:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(f"expected uint8 images (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
        self.arrays = images.permute(0, 2, 3, 1).contiguous().numpy()  # HWC, as PIL wants
        self.labels = labels
        self.groups = list(groups or [images.shape[1]])
        if sum(self.groups) != images.shape[1] or any(g not in (1, 3) for g in self.groups):
            raise ValueError(f"groups {self.groups} must be 1s and 3s adding up to {images.shape[1]} channels")
        self.transforms = [tutorial_transform(g) for g in self.groups]

    def __len__(self) -> int:
        return len(self.arrays)

    def __getitem__(self, index: int):
        array, start, parts = self.arrays[index], 0, []
        for channels, transform in zip(self.groups, self.transforms):
            part = array[..., start: start + channels]
            image = Image.fromarray(part[..., 0] if channels == 1 else part, mode="L" if channels == 1 else "RGB")
            parts.append(transform(image))
            start += channels
        x = parts[0] if len(parts) == 1 else torch.cat(parts)
        return (x, int(self.labels[index])) if self.labels is not None else (x, 0)


class SameOrderSampler(Sampler[int]):
    """Endless indices in the order ``TensorBatches(seed=seed)`` draws them (for the equivalence test).

    One seeded permutation per epoch, cut to whole batches, exactly as ``TensorBatches``.
    """

    def __init__(self, n: int, batch_size: int, seed: int = 0) -> None:
        self.n, self.batch_size, self.seed = n, batch_size, seed

    def __iter__(self) -> Iterator[int]:
        epoch = 0
        while True:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            order = torch.randperm(self.n, generator=g)
            yield from order[: self.n // self.batch_size * self.batch_size].tolist()
            epoch += 1


def tutorial_loader(dataset: Dataset, batch_size: int, seed: int = 0, sampler: Optional[Sampler] = None) -> DataLoader:
    """``DataLoader(dataset, batch_size, shuffle=True, drop_last=True)``; no worker processes
    (a 2-core machine has none to spare). Its own seeded generator keeps it off the global RNG,
    which dropout draws from."""
    generator = torch.Generator().manual_seed(seed)
    if sampler is not None:
        return DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=True, generator=generator)
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True, generator=generator)


def endless(loader: DataLoader) -> Iterator:
    """Epoch after epoch of ``loader``."""
    while True:
        yield from loader


class TutorialGAN:
    """The DCGAN tutorial's loop for any (optionally class-conditional) generator/discriminator.

    D returns logits, so the loss is ``BCEWithLogitsLoss`` where the tutorial has a sigmoid and
    ``BCELoss``. Noise (then fake labels) are drawn from ``noise_generator`` when one is given.
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module, loader: DataLoader, *, latent_dim: int,
                 device: torch.device | str = "cpu", num_classes: Optional[int] = None, lr: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999), noise_generator: Optional[torch.Generator] = None) -> None:
        self.device = torch.device(device)
        self.G, self.D = generator.to(self.device), discriminator.to(self.device)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr, betas=betas)
        self.criterion = nn.BCEWithLogitsLoss()
        self.batches = endless(loader)
        self.latent_dim, self.num_classes, self.noise_generator = latent_dim, num_classes, noise_generator
        self.losses: list[tuple[float, float]] = []  # (D loss, G loss) per step, like the tutorial's lists

    def _g(self, z: Tensor, y: Optional[Tensor]) -> Tensor:
        return self.G(z) if y is None else self.G(z, y)

    def _d(self, x: Tensor, y: Optional[Tensor]) -> Tensor:
        return (self.D(x) if y is None else self.D(x, y)).view(-1)

    def step(self) -> None:
        real, labels = next(self.batches)
        real = real.to(self.device)
        labels = labels.to(self.device) if self.num_classes else None
        b = real.size(0)
        # (1) Update D: maximise log(D(x)) + log(1 - D(G(z)))
        self.D.zero_grad()
        target = torch.full((b,), 1.0, device=self.device)
        err_real = self.criterion(self._d(real, labels), target)
        err_real.backward()
        noise = torch.randn(b, self.latent_dim, device=self.device,
                            generator=self.noise_generator)
        fake_labels = None
        if self.num_classes:
            fake_labels = torch.randint(self.num_classes, (b,), device=self.device,
                                        generator=self.noise_generator)
        fake = self._g(noise, fake_labels)
        target.fill_(0.0)
        err_fake = self.criterion(self._d(fake.detach(), fake_labels), target)
        err_fake.backward()
        err_d = err_real + err_fake
        self.opt_d.step()
        # (2) Update G: maximise log(D(G(z)))
        self.G.zero_grad()
        target.fill_(1.0)
        err_g = self.criterion(self._d(fake, fake_labels), target)
        err_g.backward()
        self.opt_g.step()
        self.losses.append((err_d.item(), err_g.item()))

    def run(self, steps: int) -> None:
        for _ in range(steps):
            self.step()


class TutorialPix2Pix:
    """The pix2pix loop of the authors' PyTorch repository, fed by a per-image ``DataLoader``.

    Batches hold input and target stacked along the channels (``in_channels`` first).
    """

    def __init__(self, generator: nn.Module, discriminator: nn.Module, loader: DataLoader, *, in_channels: int,
                 device: torch.device | str = "cpu", lambda_l1: float = 100.0, lr: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999)) -> None:
        self.device = torch.device(device)
        self.G, self.D = generator.to(self.device), discriminator.to(self.device)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr, betas=betas)
        self.gan_loss, self.l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()
        self.batches = endless(loader)
        self.in_channels, self.lambda_l1 = in_channels, lambda_l1
        self.losses: list[tuple[float, float]] = []

    def step(self) -> None:
        batch, _ = next(self.batches)
        batch = batch.to(self.device)
        real_a, real_b = batch[:, : self.in_channels], batch[:, self.in_channels:]
        fake_b = self.G(real_a)
        # D: fake pairs to 0, real pairs to 1, halved
        self.D.requires_grad_(True)
        self.opt_d.zero_grad()
        pred_fake = self.D(real_a, fake_b.detach())
        pred_real = self.D(real_a, real_b)
        loss_d = 0.5 * (self.gan_loss(pred_fake, torch.zeros_like(pred_fake)) + self.gan_loss(pred_real, torch.ones_like(pred_real)))
        loss_d.backward()
        self.opt_d.step()
        # G: fool D, and stay close to the target in L1
        self.D.requires_grad_(False)
        self.opt_g.zero_grad()
        pred_fake = self.D(real_a, fake_b)
        loss_g = self.gan_loss(pred_fake, torch.ones_like(pred_fake)) + self.lambda_l1 * self.l1(fake_b, real_b)
        loss_g.backward()
        self.opt_g.step()
        self.losses.append((loss_d.item(), loss_g.item()))

    def run(self, steps: int) -> None:
        for _ in range(steps):
            self.step()


class TutorialCycleGAN:
    """The CycleGAN loop of the authors' PyTorch repository: least-squares GAN loss via
    ``MSELoss``, cycle (weight 10) and identity (weight 5) L1 terms, both generators in one Adam,
    both discriminators in another, each discriminator step on a per-image history pool written
    as the repository writes it (a Python loop and ``random.uniform``). Batches hold domain A and
    domain B stacked along the channels (``channels`` each)."""

    def __init__(self, g_ab: nn.Module, g_ba: nn.Module, d_a: nn.Module, d_b: nn.Module, loader: DataLoader, *,
                 channels: int, device: torch.device | str = "cpu", pool_size: int = 50, lr: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999), seed: int = 0) -> None:
        import itertools
        import random

        self.device = torch.device(device)
        self.G, self.F = g_ab.to(self.device), g_ba.to(self.device)
        self.D_a, self.D_b = d_a.to(self.device), d_b.to(self.device)
        self.opt_g = torch.optim.Adam(itertools.chain(self.G.parameters(), self.F.parameters()), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(itertools.chain(self.D_a.parameters(), self.D_b.parameters()), lr=lr, betas=betas)
        self.mse, self.l1 = nn.MSELoss(), nn.L1Loss()
        self.batches = endless(loader)
        self.channels, self.pool_size = channels, pool_size
        self.pools: dict[str, list[Tensor]] = {"a": [], "b": []}
        self.random = random.Random(seed)
        self.losses: list[tuple[float, float]] = []

    def query(self, name: str, images: Tensor) -> Tensor:
        pool, out = self.pools[name], []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(pool) < self.pool_size:
                pool.append(image)
                out.append(image)
            elif self.random.uniform(0, 1) > 0.5:
                i = self.random.randint(0, self.pool_size - 1)
                out.append(pool[i].clone())
                pool[i] = image
            else:
                out.append(image)
        return torch.cat(out)

    def _gan(self, logits: Tensor, target: float) -> Tensor:
        return self.mse(logits, torch.full_like(logits, target))

    def step(self) -> None:
        batch, _ = next(self.batches)
        batch = batch.to(self.device)
        real_a, real_b = batch[:, : self.channels], batch[:, self.channels:]
        fake_b, fake_a = self.G(real_a), self.F(real_b)
        # generators
        self.D_a.requires_grad_(False)
        self.D_b.requires_grad_(False)
        self.opt_g.zero_grad()
        loss_g = (self._gan(self.D_b(fake_b), 1.0) + self._gan(self.D_a(fake_a), 1.0)
                  + 10.0 * (self.l1(self.F(fake_b), real_a) + self.l1(self.G(fake_a), real_b))
                  + 5.0 * (self.l1(self.G(real_b), real_b) + self.l1(self.F(real_a), real_a)))
        loss_g.backward()
        self.opt_g.step()
        # discriminators, each on real images and on pooled fakes, halved
        self.D_a.requires_grad_(True)
        self.D_b.requires_grad_(True)
        self.opt_d.zero_grad()
        pooled_b, pooled_a = self.query("b", fake_b), self.query("a", fake_a)
        loss_d_b = 0.5 * (self._gan(self.D_b(real_b), 1.0) + self._gan(self.D_b(pooled_b), 0.0))
        loss_d_b.backward()
        loss_d_a = 0.5 * (self._gan(self.D_a(real_a), 1.0) + self._gan(self.D_a(pooled_a), 0.0))
        loss_d_a.backward()
        self.opt_d.step()
        self.losses.append(((loss_d_a + loss_d_b).item(), loss_g.item()))

    def run(self, steps: int) -> None:
        for _ in range(steps):
            self.step()
