"""Write the seed corpus for fuzz_arguments: byte strings laid out as the target decodes them
(tensors, then calls), one valid call of each operator, so the fuzzer starts from inputs that reach
the GPU and mutates outward from them."""
import os
import random

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "arguments")
NULL = 8


def tensor(shape, i32=False, fill=None):
    out = [len(shape) - 1]
    for d in shape:
        out += [d, 0]
    out.append(5 if i32 else 1)  # kind: create (kind % 3 != 0), dtype from bit 2
    n = 1
    for d in shape:
        n *= d
    out += fill if fill is not None else [random.randrange(256) for _ in range(n)]
    return out


def call(op, args, padding=1, activation=0, host_cu=None):
    out = list(host_cu or [0] * 9)
    out += [padding, 0, 0, 0, 0, 0, 0, activation, activation, 1 if host_cu else 0, op]
    return out + args


def seed(tensors, calls):
    data = []
    for t in tensors:
        data += t
    while len(tensors) < 8:
        tensors.append(None)
        data += tensor([1])
    data.append(len(calls) - 1)
    for c in calls:
        data += c
    return bytes(b & 0xFF for b in data)


random.seed(7)
seeds = {
    "depthwise_causal": seed([tensor([2, 4, 8]), tensor([4, 3]), tensor([2, 4, 8])],
                             [call(0, [0, 1, NULL, 1, 2])]),
    "copy": seed([tensor([3, 5]), tensor([3, 5])], [call(1, [0, 1])]),
    "causal_conv1d_silu": seed([tensor([2, 3, 7]), tensor([3, 4]), tensor([3]), tensor([2, 3, 7])],
                               [call(2, [0, 1, 2, NULL, NULL, 3, NULL], activation=1)]),
    "causal_conv1d_update": seed([tensor([2, 3, 1]), tensor([2, 3, 5]), tensor([3, 4]), tensor([2, 3, 1])],
                                 [call(3, [0, 1, 2, NULL, NULL, NULL, 3])]),
    "varlen": seed([tensor([8, 3]), tensor([3, 4]), tensor([3]), tensor([3], i32=True, fill=[0, 5, 8]),
                    tensor([8, 3])],
                   [call(4, [0, 1, 2, 3, NULL, NULL, NULL, 4], host_cu=[0, 5, 8] + [0] * 6)]),
}
os.makedirs(here, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
