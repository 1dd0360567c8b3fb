"""MI-GAN's inference generator, reproduced to build small test models with random weights.

Source: Picsart-AI-Research/MI-GAN, ``lib/model_zoo/migan_inference.py`` at commit
ca4df2ebd1d2c657896a0fac33c7daff6f5d94e6 (MIT License, Copyright (c) 2024 Picsart AI
Research (PAIR)); "MI-GAN: A Simple Baseline for Image Inpainting on Mobile Devices",
ICCV 2023. IOPaint's ``migan_traced.pt`` is a trace of ``Generator(resolution=512)``.

Layer names, shapes and the forward pass follow the source, so a state dict of the
published weights would load into it; only the style is this pack's (type hints, the
activation as a module). The tests trace it with random weights: the pack's loader and
crop code then run against the real network, at its real size, without the weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class LeakyReluGainClamp(nn.Module):
    """``lrelu_agc`` of the source: leaky ReLU 0.2, times sqrt(2), clamped to +-256."""

    def __init__(self, alpha: float = 0.2, gain: float = math.sqrt(2), clamp: float = 256):
        super().__init__()
        self.alpha, self.gain, self.clamp = alpha, gain, clamp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(x, negative_slope=self.alpha) * self.gain
        return x.clamp(-self.clamp, self.clamp)


def _binomial_filter(gain: float) -> torch.Tensor:
    """``setup_filter([1, 3, 3, 1], gain)`` of the source: a normalised 4x4 outer product."""
    f = torch.tensor([1.0, 3.0, 3.0, 1.0])
    f = torch.outer(f, f)
    return f / f.sum() * gain


class Downsample2d(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.filter = nn.Conv2d(channels, channels, kernel_size=4, groups=channels, padding=1,
                                bias=False, stride=2)
        self.filter.weight = nn.Parameter(_binomial_filter(1).repeat(channels, 1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.filter(x)


class Upsample2d(nn.Module):
    def __init__(self, channels: int, resolution: int) -> None:
        super().__init__()
        self.nearest_up = nn.Upsample(scale_factor=2, mode="nearest")
        w = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
        self.register_buffer("filter_const", w.repeat(1, 1, resolution // 2, resolution // 2))
        self.filter = nn.Conv2d(channels, channels, kernel_size=4, groups=channels, bias=False)
        self.filter.weight = nn.Parameter(_binomial_filter(4).repeat(channels, 1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.nearest_up(x) * self.filter_const
        return self.filter(F.pad(x, pad=(2, 1, 2, 1)))


class SeparableConv2d(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, *,
                 activation: nn.Module | None = None, resolution: int | None = None,
                 use_noise: bool = False, down: int = 1, up: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, in_channels, kernel_size,
                               padding=kernel_size // 2, groups=in_channels)
        self.conv2 = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.downsample = Downsample2d(in_channels) if down > 1 else None
        self.upsample = Upsample2d(out_channels, resolution) if up > 1 and resolution else None
        self.use_noise = use_noise
        if use_noise:
            assert resolution is not None
            self.register_buffer("noise_const", torch.randn([resolution, resolution]))
            self.noise_strength = nn.Parameter(torch.zeros([]))
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        if self.activation is not None:
            x = self.activation(x)
        if self.downsample is not None:
            x = self.downsample(x)
        x = self.conv2(x)
        if self.upsample is not None:
            x = self.upsample(x)
        if self.use_noise:
            x = x + self.noise_const * self.noise_strength
        if self.activation is not None:
            x = self.activation(x)
        return x


class EncoderBlock(nn.Module):
    def __init__(self, ic_n: int, oc_n: int, rgb_n: int | None = None, down: int = 2) -> None:
        super().__init__()
        self.activation = LeakyReluGainClamp()
        self.fromrgb = nn.Conv2d(rgb_n, ic_n, 1) if rgb_n is not None else None
        self.conv1 = SeparableConv2d(ic_n, ic_n, 3, activation=self.activation)
        self.conv2 = SeparableConv2d(ic_n, oc_n, 3, activation=self.activation, down=down)

    def forward(self, x: torch.Tensor | None, img: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.fromrgb is not None:
            y = self.activation(self.fromrgb(img))
            x = x + y if x is not None else y
        assert x is not None
        feat = self.conv1(x)
        return self.conv2(feat), feat


class Encoder(nn.Module):
    def __init__(self, resolution: int = 256, ic_n: int = 4, ch_base: int = 32768,
                 ch_max: int = 512) -> None:
        super().__init__()
        log2res = int(math.log2(resolution))
        self.encode_res = [2**i for i in range(log2res, 1, -1)]
        for idx, (resi, resj) in enumerate(zip(self.encode_res[:-1], self.encode_res[1:],
                                               strict=True)):
            hidden_i, hidden_j = min(ch_base // resi, ch_max), min(ch_base // resj, ch_max)
            block = EncoderBlock(hidden_i, hidden_j, rgb_n=ic_n if idx == 0 else None)
            setattr(self, f"b{resi}", block)
        hidden = min(ch_base // self.encode_res[-1], ch_max)
        self.b4 = EncoderBlock(hidden, hidden, down=1)

    def forward(self, img: torch.Tensor) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        x = None
        feats = {}
        for resi in self.encode_res[:-1]:
            x, feats[resi] = getattr(self, f"b{resi}")(x, img)
        x, feats[4] = self.b4(x, img)
        return x, feats


class SynthesisBlockFirst(nn.Module):
    def __init__(self, oc_n: int, rgb_n: int) -> None:
        super().__init__()
        activation = LeakyReluGainClamp()
        self.conv1 = SeparableConv2d(oc_n, oc_n, 3, activation=activation)
        self.conv2 = SeparableConv2d(oc_n, oc_n, 3, resolution=4, activation=activation)
        self.torgb = nn.Conv2d(oc_n, rgb_n, 1)

    def forward(self, x: torch.Tensor, enc_feat: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv2(self.conv1(x) + enc_feat)
        return x, self.torgb(x)


class SynthesisBlock(nn.Module):
    def __init__(self, ic_n: int, oc_n: int, resolution: int, rgb_n: int) -> None:
        super().__init__()
        activation = LeakyReluGainClamp()
        self.conv1 = SeparableConv2d(ic_n, oc_n, 3, resolution=resolution, up=2,
                                     activation=activation, use_noise=True)
        self.conv2 = SeparableConv2d(oc_n, oc_n, 3, resolution=resolution, up=1,
                                     activation=activation, use_noise=True)
        self.torgb = nn.Conv2d(oc_n, rgb_n, 1)
        self.upsample = Upsample2d(rgb_n, resolution=resolution)

    def forward(self, x: torch.Tensor, enc_feat: torch.Tensor, img: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.conv2(self.conv1(x) + enc_feat)
        return x, self.upsample(img) + self.torgb(x)


class Synthesis(nn.Module):
    def __init__(self, resolution: int = 256, rgb_n: int = 3, ch_base: int = 32768,
                 ch_max: int = 512) -> None:
        super().__init__()
        log2res = int(math.log2(resolution))
        self.block_res = [2**i for i in range(2, log2res + 1)]
        self.b4 = SynthesisBlockFirst(min(ch_base // 4, ch_max), rgb_n=rgb_n)
        for resi, resj in zip(self.block_res[:-1], self.block_res[1:], strict=True):
            block = SynthesisBlock(min(ch_base // resi, ch_max), min(ch_base // resj, ch_max),
                                   resolution=resj, rgb_n=rgb_n)
            setattr(self, f"b{resj}", block)

    def forward(self, x: torch.Tensor, enc_feats: dict[int, torch.Tensor]) -> torch.Tensor:
        x, img = self.b4(x, enc_feats[4])
        for res in self.block_res[1:]:
            x, img = getattr(self, f"b{res}")(x, enc_feats[res], img)
        return img


class Generator(nn.Module):
    """Input (1, 4, R, R): ``cat(0.5 - mask, image * (1 - mask))``, image in -1..1."""

    def __init__(self, resolution: int = 256) -> None:
        super().__init__()
        self.synthesis = Synthesis(resolution=resolution)
        self.encoder = Encoder(resolution=resolution)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, feats = self.encoder(x)
        return self.synthesis(x, feats)
