"""Train the model bundled with gender_fastai, and write its model card.

    python scripts/train_default.py [--epochs 10] [--out gender_fastai/assets]

ResNet9 (width 16, 32 px), fit_one_cycle(10, 5e-3), seed 42, on ../shared/data/gender-sample/Training (16,000 face
crops of the Kaggle "Gender Classification Dataset", derived from CelebA); evaluated on gender-sample/Validation (2,000)
and, as a dataset it never saw, all of utkface-sample (6,000). float32, images decoded every epoch (no bf16, no
cache): the settings of the shipped file. Writes OUT/gender_resnet9.safetensors (the safe format:
no pickle) and OUT/gender_resnet9.md (the model card). Same machine, same seed: the same weights.
"""
import sys, json, time
from pathlib import Path
from fastcore.script import call_parse
sys.path.insert(0, str(Path(__file__).parent))
from train_face import record_training, RECORD_NOTE
from gender_fastai.data import load_items
from gender_fastai.core import sample_data
from gender_fastai.learner import train_model
from gender_fastai.export import save_model
from gender_fastai.inference import load_safe
from gender_fastai import evaluate as E

@call_parse
def main(epochs:int=10, out:str='gender_fastai/assets',
         record:bool=False): # Only record which images the model at OUT/gender_resnet9.safetensors trained on (`train_face.record_training`)
    if record:
        df = load_items(sample_data('gender-sample'))
        return record_training(Path(out)/'gender_resnet9.safetensors', df[df.split == 'train'].path)
    t0 = time.time()
    learn = train_model(sample_data('gender-sample'), 'resnet9', epochs=epochs, seed=42, bf16=False, cache=False, width=16)  # the settings the shipped weights were trained with
    minutes = (time.time() - t0) / 60
    path = save_model(learn, Path(out)/'gender_resnet9.safetensors')
    learn = load_safe(path)  # evaluate what ships
    rows, subs = [], []
    for name, data, split in (('gender-sample/Validation', sample_data('gender-sample'), 'valid'), ('utkface-sample (never seen)', sample_data('utkface-sample'), 'all')):
        ev = E.evaluate(learn, data, split=split)
        m, s = ev.metrics, E.subgroup_summary(ev.subgroups)
        rows.append(f"| {name} | {m['n']:,} | {m['accuracy']:.4f} | {m['roc_auc']:.4f} | {m['ece']:.4f} |")
        if s: subs.append(f"- {name}: {E.summary_text(s)}")
        print(name, json.dumps({k: m[k] for k in ('n', 'accuracy', 'roc_auc', 'ece')}), flush=True)
    card = [f"# Model card: gender_resnet9 (bundled with gender_fastai)", "",
            "Female / male classifier of face crops: the small, fast bundled model (`gender_fastai_predict --model gender_resnet9`; the default is `gender_faceresnet`). The file carries its int8 calibration (512 of its training crops, `export.save_model`): `--int8` runs it as int8 on the CPU.", "",
            "## Training", "",
            f"ResNet9 (width 16, {sum(p.numel() for p in learn.model.parameters()):,} parameters), 32 x 32 px squished crops, "
            f"`fit_one_cycle({epochs}, 5e-3)`, AdamW (fused), weight decay 1e-4, gradient clipping 0.1, batch 128, seed 42, pad-crop-flip augmentation; "
            f"{minutes:.1f} minutes on a 2-core CPU. Data: gender-sample/Training, 16,000 face crops (8,000 per class) of the Kaggle "
            "\"Gender Classification Dataset\" (cashutosh), which is derived from CelebA. Reproduce: `python scripts/train_default.py`." + RECORD_NOTE, "",
            "## Results", "", "| data | images | accuracy | ROC AUC | ECE |", "|---|---|---|---|---|", *rows, "", *subs, "",
            "## Limitations and intended use", "",
            "Trained on celebrity face crops (CelebA): adults, mostly young, mostly light-skinned. On UTKFace it is much weaker on babies and "
            "children, on older people and on women (see the subgroup results above and `gender_fastai_evaluate`). It predicts a binary label "
            "from appearance, which is not a person's gender identity. For demonstrations, research and as a starting point for fine-tuning; "
            "not for decisions about people. CelebA is licensed for non-commercial research: so are these weights.", ""]
    (Path(out)/'gender_resnet9.md').write_text('\n'.join(card))
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) and its model card")
