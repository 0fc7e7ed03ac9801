#!/usr/bin/env python3
"""A second opinion on digitnet's ONNX files, from ONNX's own Python tools (not a runtime dependency).

For each NAME.onnx in DIR: onnx.checker.check_model(model, full_check=True) (structure, opset, and strict
shape inference), then onnxruntime's CPU provider on the inputs in NAME.input.f32 (float32, little-endian,
shape in NAME.json), compared with digitnet's probabilities and logits in NAME.json.
bench/onnx-check.ts writes DIR and runs this script. Usage: python3 scripts/onnx_check.py DIR
Needs the onnx, onnxruntime and numpy wheels (pip install --no-index --find-links WHEELS onnx onnxruntime).
"""

import json
import pathlib
import sys

import numpy as np
import onnx
import onnxruntime as ort


def check(path: pathlib.Path) -> dict:
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    expected = json.loads(path.with_suffix(".json").read_text())
    x = np.fromfile(path.with_suffix(".input.f32"), dtype="<f4").reshape(expected["inputShape"])
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probabilities, logits = session.run(["probabilities", "logits"], {"input": x})
    want_p = np.array(expected["probabilities"], dtype=np.float32).reshape(probabilities.shape)
    want_l = np.array(expected["logits"], dtype=np.float32).reshape(logits.shape)
    return {
        "model": path.stem,
        "opset": model.opset_import[0].version,
        "ir": model.ir_version,
        "input": [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim],
        "images": int(x.shape[0]),
        "max_abs_diff_probabilities": float(np.abs(probabilities - want_p).max()),
        "max_abs_diff_logits": float(np.abs(logits - want_l).max()),
        "same_argmax": bool((probabilities.argmax(1) == want_p.argmax(1)).all()),
    }


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    files = sorted(pathlib.Path(sys.argv[1]).glob("*.onnx"))
    if not files:
        print(f"{sys.argv[1]}: no .onnx files", file=sys.stderr)
        return 1
    worst = 0.0
    print(f"onnx {onnx.__version__}, onnxruntime {ort.__version__}: check_model(full_check=True) and CPU inference")
    for f in files:
        r = check(f)
        worst = max(worst, r["max_abs_diff_probabilities"])
        print(json.dumps(r))
    print(f"all {len(files)} models pass the checker; largest probability difference {worst:.2e}")
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
