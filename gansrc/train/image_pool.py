"""The image pool of CycleGAN (chapter 06): the discriminator also sees older fakes.

Shrivastava et al. (2017) and Zhu et al. (2017) update the discriminator on a history of
generated images rather than only the newest ones, so it cannot chase the generator's latest
change and forget what earlier generators did; this damps oscillation. Until the pool is full
every new image is stored and returned; after that each new image is returned as it is with
probability 0.5, or swapped for a random stored image (which it replaces) with probability 0.5.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor


class ImagePool:
    """A history of at most ``capacity`` generated images (50 in the paper; 0 turns the pool off).

    ``query(images)`` returns a batch of the same size. Its random choices come from its own
    seeded ``torch.Generator`` on the CPU (so they never wait for the GPU), and ``state_dict``
    holds the stored images and that generator's state, so a resumed run makes the same choices.
    """

    def __init__(self, capacity: int = 50, seed: int = 0) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be 0 (no pool) or more, not {capacity}.")
        self.capacity = capacity
        self.rng = torch.Generator().manual_seed(seed)
        self.images: Optional[Tensor] = None  # (capacity, C, H, W), allocated on the first query
        self.count = 0

    def __len__(self) -> int:
        return self.count

    @torch.no_grad()
    def query(self, images: Tensor) -> Tensor:
        """The batch to show the discriminator: each image new, or an older one it replaces."""
        if self.capacity == 0:
            return images.detach()
        images = images.detach()
        if self.images is None:
            self.images = torch.empty((self.capacity, *images.shape[1:]), dtype=images.dtype, device=images.device)
        n = images.shape[0]
        swap = (torch.rand(n, generator=self.rng) < 0.5).tolist()
        slots = torch.randint(self.capacity, (n,), generator=self.rng).tolist()
        out = []
        for i in range(n):
            if self.count < self.capacity:  # filling up: keep it and return it
                self.images[self.count] = images[i]
                self.count += 1
                out.append(images[i])
            elif swap[i]:  # return an old image, store the new one in its place
                old = self.images[slots[i]].clone()
                self.images[slots[i]] = images[i]
                out.append(old)
            else:
                out.append(images[i])
        return torch.stack(out)

    def state_dict(self) -> dict:
        return {"capacity": self.capacity, "count": self.count, "rng": self.rng.get_state(),
                "images": None if self.images is None else self.images[: self.count].cpu()}

    def load_state_dict(self, state: dict, device: torch.device | str = "cpu") -> None:
        if state["capacity"] != self.capacity:
            raise ValueError(f"the saved pool held {state['capacity']} images, this one holds {self.capacity}.")
        self.count = int(state["count"])
        self.rng.set_state(state["rng"])
        stored = state["images"]
        self.images = None
        if stored is not None:
            self.images = torch.empty((self.capacity, *stored.shape[1:]), dtype=stored.dtype, device=device)
            self.images[: self.count] = stored.to(device)
