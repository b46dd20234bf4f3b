"""CKConvND, the implicit global convolution (SPEC.md section 4): a kernel network evaluated on a
coordinate grid, optionally FiLM-conditioned per batch element, times a mask, then an FFT
convolution with a shortcut term."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .functional import fft_conv_causal, fft_conv_nd

ACTIVATIONS = {"identity": lambda x: x, "silu": F.silu, "sigmoid": torch.sigmoid, "gelu": F.gelu,
               "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "softplus": F.softplus}


def grid(size, cache_size, grid_types):
    """[P, D]: per axis the centre 2g - 1 points of linspace(-1, 1, 2 L_cache - 1), extended at its
    step past L_cache; g = N on 'double' axes, (N + 1) // 2 on 'single' ones."""
    axes = []
    for n, lc, t in zip(size, cache_size, grid_types):
        g = n if t == "double" else (n + 1) // 2
        axes.append((torch.arange(2 * g - 1, dtype=torch.float64) - (g - 1)) / (lc - 1))
    mesh = torch.meshgrid(*axes, indexing="ij")
    return torch.stack(mesh, dim=-1).reshape(-1, len(size)), [a.shape[0] for a in axes]


class SirenKernel(nn.Module):
    """h = sin(W0 p + b0), then num_layers - 1 layers h = sin(W h + b), FiLM after every layer,
    k = W_out h + b_out. W0 ~ U(+-2 pi omega0 / D), others U(+-sqrt(6 / fan_in)), biases 0,
    W_out scaled by sqrt(1 / prod(L_cache))."""

    def __init__(self, data_dim, hidden, channels, num_layers, omega0, cache_size):
        super().__init__()
        self.num_layers, self.hidden = num_layers, hidden
        self.input_layer = nn.Linear(data_dim, hidden)
        self.hidden_layers = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(num_layers - 1))
        self.output_layer = nn.Linear(hidden, channels)
        with torch.no_grad():
            bound = 2 * math.pi * omega0 / data_dim
            self.input_layer.weight.uniform_(-bound, bound)
            for layer in [*self.hidden_layers, self.output_layer]:
                bound = math.sqrt(6 / layer.in_features)
                layer.weight.uniform_(-bound, bound)
            self.output_layer.weight.mul_(math.sqrt(1 / math.prod(cache_size)))
            for layer in [self.input_layer, *self.hidden_layers, self.output_layer]:
                layer.bias.zero_()

    def forward(self, p, film):
        h = torch.sin(self.input_layer(p))
        for i in range(self.num_layers):
            if i > 0:
                h = torch.sin(self.hidden_layers[i - 1](h))
            if film is not None:
                h = film[0][:, i, None, :] * h + film[1][:, i, None, :]
        return self.output_layer(h)


class RandomFourierKernel(nn.Module):
    """phi = [cos(W p), sin(W p)] with W [hidden/2, D] ~ N(0, (2 pi omega0)^2) fixed (a buffer), then
    (Linear -> activation) x (num_layers - 1), FiLM after every layer (phi is layer 0), output Linear
    scaled as the SIREN's."""

    def __init__(self, data_dim, hidden, channels, num_layers, omega0, cache_size, activation="gelu"):
        super().__init__()
        if hidden % 2:
            raise ValueError(f"hidden: random Fourier features need an even width, got {hidden}")
        self.num_layers, self.hidden, self.activation = num_layers, hidden, ACTIVATIONS[activation]
        self.register_buffer("fourier_weight", torch.randn(hidden // 2, data_dim) * (2 * math.pi * omega0))
        self.hidden_layers = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(num_layers - 1))
        self.output_layer = nn.Linear(hidden, channels)
        with torch.no_grad():
            for layer in [*self.hidden_layers, self.output_layer]:
                bound = math.sqrt(6 / layer.in_features)
                layer.weight.uniform_(-bound, bound)
                layer.bias.zero_()
            self.output_layer.weight.mul_(math.sqrt(1 / math.prod(cache_size)))

    def forward(self, p, film):
        wp = p @ self.fourier_weight.to(p.dtype).t()
        h = torch.cat([torch.cos(wp), torch.sin(wp)], dim=-1)
        for i in range(self.num_layers):
            if i > 0:
                h = self.activation(self.hidden_layers[i - 1](h))
            if film is not None:
                h = film[0][:, i, None, :] * h + film[1][:, i, None, :]
        return self.output_layer(h)


class KernelFiLMGenerator(nn.Module):
    """conditioning [B, cond_dim] -> Linear(cond_dim, film_hidden) -> GELU(erf) -> Linear(film_hidden,
    num_layers * 2 * hidden), read as [gamma0, beta0, gamma1, beta1, ...]; init gives gamma 1, beta 0."""

    def __init__(self, cond_dim, film_hidden, num_layers, hidden):
        super().__init__()
        self.num_layers, self.hidden = num_layers, hidden
        self.net = nn.Sequential(nn.Linear(cond_dim, film_hidden), nn.GELU(), nn.Linear(film_hidden,
                                                                                         num_layers * 2 * hidden))
        with torch.no_grad():
            self.net[2].weight.zero_()
            self.net[2].bias.copy_(torch.tensor([1.0, 0.0]).repeat_interleave(hidden).repeat(num_layers))

    def forward(self, conditioning):
        out = self.net(conditioning).view(-1, self.num_layers, 2, self.hidden)
        return out[:, :, 0], out[:, :, 1]


class CKConvND(nn.Module):
    """y = conv(x, mask * generator(grid)) + shortcut[c] * x on channels-first x [B, C, *S].

    generator: 'siren' or 'rff'; mask: None, 'gaussian' (parameter mask.sigma [D, C], init per axis
    linspace(min_std, max_std, C)) or 'exponential' (mask.w [D, C], init (1/D) linspace(2.3, 13.81, C));
    film_cond_dim > 0 adds a KernelFiLMGenerator and forward then needs `conditioning` [B, cond_dim]."""

    def __init__(self, data_dim, hidden_dim, cache_size, generator="siren", generator_hidden=32,
                 generator_layers=3, omega0=1.0, rff_activation="gelu", film_cond_dim=0, film_hidden=64,
                 mask=None, grid_type="double", fft_padding="zero", is_causal=False):
        super().__init__()
        self.data_dim, self.hidden_dim, self.is_causal = data_dim, hidden_dim, is_causal
        self.cache_size = [cache_size] * data_dim if isinstance(cache_size, int) else list(cache_size)
        self.grid_types = [grid_type] * data_dim if isinstance(grid_type, str) else list(grid_type)
        self.paddings = [fft_padding] * data_dim if isinstance(fft_padding, str) else list(fft_padding)
        if is_causal and data_dim != 1:
            raise ValueError("is_causal: only 1D CKConvND is causal")
        if is_causal and self.grid_types != ["double"]:
            raise ValueError("grid_type: a causal CKConvND needs the 'double' grid (every lag of the input)")
        kinds = {"siren": SirenKernel, "rff": RandomFourierKernel}
        extra = {"activation": rff_activation} if generator == "rff" else {}
        self.kernel_generator = kinds[generator](data_dim, generator_hidden, hidden_dim, generator_layers, omega0,
                                                 self.cache_size, **extra)
        self.film = (KernelFiLMGenerator(film_cond_dim, film_hidden, generator_layers, generator_hidden)
                     if film_cond_dim else None)
        self.mask_kind = mask
        grid_size = 2 * max(self.cache_size) - 1
        self.min_std = (2 / (grid_size - 1)) * math.sqrt(-1 / (2 * math.log(0.1)))
        self.max_std = math.sqrt(-1 / (2 * math.log(0.95)))
        self.mask = nn.Module()
        if mask == "gaussian":
            self.mask.sigma = nn.Parameter(torch.linspace(self.min_std, self.max_std, hidden_dim).repeat(data_dim, 1))
        elif mask == "exponential":
            self.mask.w = nn.Parameter(torch.linspace(2.3, 13.81, hidden_dim).repeat(data_dim, 1) / data_dim)
        elif mask is not None:
            raise ValueError(f"mask: expected None, 'gaussian' or 'exponential', got {mask!r}")
        bound = math.sqrt(1 / hidden_dim)
        self.shortcut = nn.Parameter(torch.empty(hidden_dim).uniform_(-bound, bound))

    def kernel(self, size, conditioning=None, dtype=torch.float32):
        """[1|B, C, *K] channels-first (causal: [1|B, C, N], k[0] = lag 0)."""
        p, points = grid(size, self.cache_size, self.grid_types)
        p = p.to(device=self.shortcut.device, dtype=dtype)
        film = None
        if self.film is not None:
            if conditioning is None:
                raise ValueError("conditioning: this CKConvND is FiLM-conditioned and needs [B, cond_dim]")
            film = self.film(conditioning.to(dtype))
        k = self.kernel_generator(p, film)
        if k.dim() == 2:
            k = k.unsqueeze(0)
        k = k * self.mask_values(p).to(dtype)
        k = k.reshape(k.shape[0], *points, self.hidden_dim).movedim(-1, 1)
        if self.is_causal:
            k = k[..., (k.shape[-1] - 1) // 2:]
        return k

    def mask_values(self, p):
        if self.mask_kind == "gaussian":
            sigma = self.mask.sigma.to(p.dtype).clamp(self.min_std, self.max_std)
            return torch.exp(-0.5 * (p[:, :, None] ** 2 / sigma[None] ** 2).sum(1))
        if self.mask_kind == "exponential":
            return torch.exp(-(p[:, :, None].abs() * self.mask.w.to(p.dtype).abs()[None]).sum(1))
        return torch.ones(p.shape[0], 1, dtype=p.dtype, device=p.device)

    def forward(self, x, pre=None, post=None, conditioning=None):
        """y = post * (conv(u, k) + shortcut * u), u = pre * x; pre and post optional."""
        u = x if pre is None else x * pre
        k = self.kernel(x.shape[2:], conditioning, x.dtype)
        conv = fft_conv_causal(u, k) if self.is_causal else fft_conv_nd(u, k, self.paddings)
        y = conv + self.shortcut.to(x.dtype).view(1, -1, *[1] * (x.dim() - 2)) * u
        return y if post is None else y * post

    def flop_count(self, spatial_dims, inference=False):
        """Per sample, multiply-add = 1: two real FFTs (2.5 F log2 F each), the spectral product
        (6 per complex bin) and the shortcut (2 per point) per channel; plus, outside inference
        (where the kernel and its spectrum are cached), the kernel network on the grid, the mask
        and the kernel's FFT."""
        kernel = [2 * (n if t == "double" else (n + 1) // 2) - 1 for n, t in zip(spatial_dims, self.grid_types)]
        fft_size = [2 * n if self.is_causal else (n if p == "circular" else min(n + (k + 1) // 2, 2 * n))
                    for n, k, p in zip(spatial_dims, kernel, self.paddings)]
        f = math.prod(fft_size)
        fft = 2.5 * f * math.log2(max(f, 2))
        s = math.prod(spatial_dims)
        count = self.hidden_dim * (2 * fft + 6 * (f // 2 + 1) + 2 * s)
        if not inference:
            g = self.kernel_generator
            points = math.prod(kernel)
            widths = [self.data_dim] + [g.hidden] * g.num_layers + [self.hidden_dim]
            mlp = sum(2 * a * b for a, b in zip(widths[:-1], widths[1:]))
            count += points * (mlp + self.hidden_dim) + self.hidden_dim * fft
        return int(count)

    def extra_repr(self):
        padding = self.paddings[0] if len(set(self.paddings)) == 1 else self.paddings
        return (f"data_dim={self.data_dim}, hidden_dim={self.hidden_dim}, is_causal={self.is_causal}, "
                f"fft_padding={padding}, mask={self.mask_kind}")
