"""Where a profile's data comes from: the real Tiny ImageNet (full) or the synthetic set (quick)."""

from __future__ import annotations

from pathlib import Path

from tinylib import config


def dataset_for_profile(profile: config.Profile | None = None, progress: bool = True) -> Path:
    """The dataset root for a profile (default: the active one), made ready if needed: the
    official Tiny ImageNet-200 downloaded, extracted and verified ("tiny-imagenet-200"), or
    the synthetic dataset sized by the profile ("synthetic")."""
    from tinylib.data.archive import prepare
    from tinylib.data.synthetic import synthetic_for_profile

    profile = profile or config.profile()
    if profile.dataset == "synthetic":
        return synthetic_for_profile(profile, progress=progress)
    return prepare(progress=progress)
