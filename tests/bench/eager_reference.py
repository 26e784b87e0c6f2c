#!/usr/bin/env python3
"""The plain PyTorch recipe a practitioner compares us with, measured like `greentrainer bench --only
step`: a random-init Hugging Face model of the same shape, AdamW, batch x seq random tokens, Full FT and
the same tensors trained as our GreenTrainer step (the others frozen), interleaved, every time read
after torch.cuda.synchronize(). Prints one JSON object with the same keys as our bench's "step".

  python3 tests/bench/eager_reference.py --shape opt-1.3b --batch 4 --seq 512 --precision bf16-mixed \
      --frozen-from ours.json    # ours.json: `greentrainer bench --only step ... --json` (its "selected" tensors)

Precisions: fp32; bf16-mixed = torch.autocast(bfloat16) around the forward, fp32 weights and AdamW state;
bf16-true = model.to(bfloat16). Attention: transformers' "sdpa" (flash / memory-efficient kernels) unless
--attention eager. Needs torch and transformers (the GPU machine has both).
"""
import argparse, json, statistics, time

import torch
import transformers

SHAPES = {
    "small-llama": ("llama", dict(vocab_size=8192, hidden_size=512, num_hidden_layers=8, num_attention_heads=8,
                                  num_key_value_heads=4, intermediate_size=1408, tie_word_embeddings=True)),
    "opt-350m": ("opt", dict(vocab_size=50272, hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, ffn_dim=4096,
                             max_position_embeddings=2048, word_embed_proj_dim=512, do_layer_norm_before=False)),
    "opt-1.3b": ("opt", dict(vocab_size=50272, hidden_size=2048, num_hidden_layers=24, num_attention_heads=32, ffn_dim=8192,
                             max_position_embeddings=2048, word_embed_proj_dim=2048)),
    "llama-1b": ("llama", dict(vocab_size=128256, hidden_size=2048, num_hidden_layers=16, num_attention_heads=32,
                               num_key_value_heads=8, intermediate_size=8192, max_position_embeddings=4096, rope_theta=500000.0,
                               tie_word_embeddings=True)),
}
# Dense peak FLOP/s (16-bit tensor cores, fp32 without TF32), as core/util/device_info.cpp.
PEAKS = [("H100 PCIe", 756e12, 51e12), ("H100", 989.4e12, 66.9e12), ("H200", 989.4e12, 66.9e12), ("A100", 312e12, 19.5e12)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="opt-1.3b", choices=sorted(SHAPES))
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--precision", default="bf16-mixed", choices=["fp32", "bf16-mixed", "bf16-true"])
    ap.add_argument("--attention", default="sdpa", choices=["sdpa", "eager"])
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--frozen-from", help="our bench JSON: train only its step.selected tensors in the GT step")
    a = ap.parse_args()

    torch.manual_seed(0)
    kind, kw = SHAPES[a.shape]
    config = transformers.AutoConfig.for_model(kind, **kw)
    model = transformers.AutoModelForCausalLM.from_config(config, attn_implementation=a.attention).cuda()
    if a.precision == "bf16-true":
        model = model.to(torch.bfloat16)
    model.train()
    named = dict(model.named_parameters())
    selected = set(json.load(open(a.frozen_from))["step"]["selected"]) if a.frozen_from else set()
    missing = selected - set(named)
    if missing:
        raise SystemExit(f"--frozen-from names tensors this model lacks: {sorted(missing)[:5]}")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)  # torch's default (foreach on CUDA)
    ids = torch.randint(0, config.vocab_size, (a.batch, a.seq), device="cuda")

    def step(trainable):
        for n, p in named.items():
            p.requires_grad_(trainable is None or n in trainable)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=a.precision == "bf16-mixed"):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        return time.perf_counter() - t0

    gt = selected or None
    peak_gt = peak_full = None
    if gt:  # GT first: after Full FT steps AdamW holds state for every tensor
        for _ in range(2):
            torch.cuda.reset_peak_memory_stats()
            step(gt)
            peak_gt = torch.cuda.max_memory_allocated()
    for _ in range(2):
        torch.cuda.reset_peak_memory_stats()
        step(None)
        peak_full = torch.cuda.max_memory_allocated()
    full_t, gt_t = [], []
    for _ in range(a.rounds):
        full_t.append(step(None))
        if gt:
            gt_t.append(step(gt))
    name = torch.cuda.get_device_name()
    peak = next(((s if a.precision != "fp32" else f) for m, s, f in PEAKS if m in name), 0.0)
    params = sum(p.numel() for p in named.values())
    # Model FLOPs as the usual 6 * parameters * tokens (forward 2, backward 4) for Full FT; attention excluded.
    tokens = a.batch * a.seq
    full_med = statistics.median(full_t)
    out = {"shape": a.shape, "device_name": name, "precision": a.precision, "attention": a.attention, "parameters": params,
           "batch": a.batch, "seq": a.seq, "rounds": a.rounds, "full_s_median": full_med, "full_tokens_per_s": tokens / full_med,
           "full_peak_memory_bytes": peak_full,
           "full_mfu_percent_6nd": 100 * 6 * params * tokens / full_med / peak if peak else None,
           "torch": torch.__version__, "transformers": transformers.__version__}
    if gt:
        gt_med = statistics.median(gt_t)
        out.update({"gt_s_median": gt_med, "gt_tokens_per_s": tokens / gt_med, "gt_peak_memory_bytes": peak_gt,
                    "measured_ratio": gt_med / full_med, "selected_tensors": len(selected)})
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
