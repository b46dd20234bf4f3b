"""PyTorch anchor for `subq cp-bench`: the same global [1, C, L] fp32 tensor over P GPUs, one
process per GPU (spawned here; no torchrun), NCCL through torch.distributed. Times, per rank 0, the
mean of back-to-back calls after warm-up (as cp-bench does):
  - all_to_all_single on the rank's C * L / P elements (P equal contiguous blocks), and
  - split_to_full in PyTorch: the same zigzag reordering subq does (pack the channel blocks,
    all_to_all_single, put the received chunks in natural order).
Keep NCCL_NVLS_ENABLE=0 set. Usage: python3 bench/cp_torch_alltoall.py [P] [C] [L] [reps]"""
import os
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def timed(fn, reps):
    for _ in range(2):
        fn()
    torch.cuda.synchronize()
    dist.barrier()
    start = time.perf_counter()
    for _ in range(reps):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - start) * 1e3 / reps


def split_to_full(x, ranks):
    """x [B, C, L/P] (zigzag chunks r and 2P-1-r) -> [B, C/P, L] in natural order."""
    b, c, local = x.shape
    chunk = local // 2
    send = x.view(b, ranks, c // ranks, local).transpose(0, 1).contiguous()
    recv = torch.empty_like(send)
    dist.all_to_all_single(recv, send)
    order = [k for s in range(ranks) for k in (s, 2 * ranks - 1 - s)]
    index = torch.tensor(order, device=x.device)
    pieces = recv.view(ranks, b, c // ranks, 2, chunk).permute(1, 2, 0, 3, 4).reshape(b, c // ranks, 2 * ranks, chunk)
    y = torch.empty(b, c // ranks, 2 * ranks, chunk, device=x.device)
    y.index_copy_(2, index, pieces)
    return y.view(b, c // ranks, ranks * local)


def rank_main(rank, ranks, channels, length, reps, init):
    torch.cuda.set_device(rank)
    dist.init_process_group("nccl", init_method=init, rank=rank, world_size=ranks)
    x = torch.rand(1, channels, length // ranks, device="cuda") + 0.05
    flat_in, flat_out = x.view(-1), torch.empty(x.numel(), device="cuda")
    nbytes = x.numel() * 4
    a2a = timed(lambda: dist.all_to_all_single(flat_out, flat_in), reps)
    full = timed(lambda: split_to_full(x, ranks), reps)
    if rank == 0:
        print(f"torch {torch.__version__}, NCCL {'.'.join(map(str, torch.cuda.nccl.version()))}, "
              f"{torch.cuda.get_device_name(0)}; global [1, {channels}, {length}] fp32, {ranks} ranks, "
              f"{nbytes / 2**30:.2f} GiB per rank, mean of {reps} back-to-back calls")
        for what, ms in (("all_to_all_single", a2a), ("split_to_full (pack + all_to_all_single + unpack)", full)):
            print(f"torch rank 0: {what:<52} {ms:8.3f} ms  {nbytes / (ms * 1e-3) / 1e9:7.1f} GB/s")
    dist.destroy_process_group()


def main():
    args = [int(a) for a in sys.argv[1:]]
    ranks, channels, length, reps = (args + [2, 4096, 1 << 20, 10][len(args):])[:4]
    os.environ.setdefault("NCCL_NVLS_ENABLE", "0")
    with tempfile.TemporaryDirectory() as tmp:
        mp.spawn(rank_main, args=(ranks, channels, length, reps, f"file://{tmp}/rendezvous"), nprocs=ranks)


if __name__ == "__main__":
    main()
