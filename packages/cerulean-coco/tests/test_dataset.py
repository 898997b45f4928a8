from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO

from cerulean_coco.building.build import BuildReport
from cerulean_coco.dataset import CocoDataset
from cerulean_coco.errors import DatasetReadError


def test_samples_carry_tiles_and_lazily_decoded_masks(built: BuildReport) -> None:
    ds = CocoDataset.open(built.dataset)
    coco = COCO(str(built.dataset / "annotations.json"))
    samples = list(ds.iter_samples())
    assert len(samples) == len(ds) == len(coco.getImgIds())
    total = 0
    for sample in samples:
        assert sample.path.is_file() and sample.path.is_absolute()
        expected = coco.loadAnns(coco.getAnnIds(imgIds=[sample.image.id]))
        assert [i.annotation.id for i in sample.instances] == [a["id"] for a in expected]
        for inst, ann in zip(sample.instances, expected, strict=True):
            assert "mask" not in inst.__dict__
            assert inst.mask.shape == (sample.image.height, sample.image.width)
            assert inst.mask.dtype == np.bool_
            np.testing.assert_array_equal(inst.mask, coco.annToMask(ann).astype(bool))
            assert inst.category_id == ann["category_id"]
            assert list(inst.bbox) == ann["bbox"]
            total += 1
    assert total == len(ds.annotations)
    assert ds[0].image == samples[0].image
    assert ds.manifest is not None and ds.manifest.kind == "build"
    assert CocoDataset.open(built.dataset / "annotations.json").images == ds.images


def test_open_names_a_missing_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetReadError, match="no such dataset"):
        CocoDataset.open(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetReadError,
                       match=r"annotations\.json: cannot read COCO document \(No such file"):
        CocoDataset.open(tmp_path / "empty")
