"""Print the markdown tables of MODEL_CARD.md from Training/results/*.json (numpy-free).

    python Training/model_card_tables.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
R = os.environ.get("RADLENS_RESULTS", os.path.join(HERE, "results"))


def ci(m, k):
    lo, hi = m["ci95"][k]
    return f"{m[k]:.3f} ({lo:.3f}-{hi:.3f})"


def main():
    t = json.load(open(os.path.join(R, "test_metrics.json")))
    cal = json.load(open(os.path.join(R, "calibration.json")))
    keys = ("auroc", "accuracy", "sensitivity", "specificity", "ece")
    print("| model | T | AUROC | accuracy | sensitivity | specificity | ECE | confusion [[tn,fp],[fn,tp]] |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for s, m in t["seeds"].items():
        print(f"| seed {s} | {m['temperature']:.3f} | " + " | ".join(ci(m, k) for k in keys) + f" | {m['confusion']} |")
    ss = t["seed_summary"]
    print("| **mean +- sd (3 seeds)** | | " + " | ".join(f"{ss[k]['mean']:.3f} +- {ss[k]['sd']:.3f}" for k in keys) + " | |")
    m = t["shipped"]
    print(f"| **shipped ensemble** | {m['temperature']:.3f} | " + " | ".join(ci(m, k) for k in keys) + f" | {m['confusion']} |")
    print()
    print(f"shipped: indeterminate fraction {m['indeterminate_fraction']:.3f}, accuracy outside band "
          f"{m['accuracy_outside_indeterminate']:.3f}, ECE uncalibrated (T=1) {m['ece_uncalibrated']:.3f}, "
          f"ECE with clean-val T {m['ece_clean_val_temperature']:.3f}, ece_toplabel {m['ece_toplabel']:.3f}")
    print()
    print("| model | T (augmented val) | T (clean val) | val AUROC | val acc | augmented-val acc | augmented-val ECE |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, c in cal["models"].items():
        print(f"| {name} | {c['temperature']:.3f} | {c['temperature_clean_val']:.3f} | {c['val_clean']['auroc']:.4f} | "
              f"{c['val_clean']['accuracy']:.3f} | {c['val_augmented']['accuracy']:.3f} | {c['val_augmented']['ece']:.3f} |")
    print()
    o = t["ood"]
    print(f"OOD threshold {o['threshold']:.3f}; test flagged {o['test_flagged']}/{t['n_test']} = {o['test_flagged_fraction']:.4f}; "
          f"val flagged {o['val_flagged_fraction']:.4f}; test median distance {o['test_distance_median']:.2f}")
    print("| image | distance | flagged | p(pneumonia) |")
    print("| --- | --- | --- | --- |")
    for e in o["non_chest"]:
        print(f"| {e['image']} | {e['distance']:.1f} | {'yes' if e['flagged'] else 'NO'} | {e['probability']:.3f} |")
    if "fullres_vs_224" in t:
        print()
        print("fullres vs 224:", t["fullres_vs_224"])
    lat = os.path.join(R, "latency.json")
    if os.path.exists(lat):
        print()
        print(json.dumps(json.load(open(lat)), indent=1))


if __name__ == "__main__":
    main()
