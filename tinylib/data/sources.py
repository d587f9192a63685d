"""Where a profile's data comes from: the real Tiny ImageNet (full) or the synthetic set (quick);
on Kaggle, a copy of the real set attached to the notebook under /kaggle/input is used as is."""

from __future__ import annotations

from pathlib import Path

from tinylib import config

KAGGLE_INPUT = Path("/kaggle/input")


def attached_dataset(name: str = "tiny-imagenet-200", input_root: Path | None = None) -> Path | None:
    """On Kaggle, the root of a dataset called `name` attached to the notebook (a folder with
    wnids.txt up to three levels under /kaggle/input), else None. Read-only there: its packed
    cache goes under $TINYLIB_DATA (`tinylib.data.packed.pack_folder`)."""
    input_root = input_root or KAGGLE_INPUT
    if config.platform() != "kaggle" or not input_root.is_dir():
        return None
    for pattern in (f"{name}/wnids.txt", f"*/{name}/wnids.txt", f"*/*/{name}/wnids.txt"):
        found = sorted(input_root.glob(pattern))
        if found:
            return found[0].parent
    return None


def dataset_for_profile(profile: config.Profile | None = None, progress: bool = True) -> Path:
    """The dataset root for a profile (default: the active one), made ready if needed: the
    folder or zip named by $TINYLIB_DATASET when it is set (a zip is extracted and verified
    once, `prepare`), else the official Tiny ImageNet-200 (attached on Kaggle, else downloaded,
    extracted and verified) ("tiny-imagenet-200"), or the synthetic dataset sized by the profile
    ("synthetic"). Raises FileNotFoundError when $TINYLIB_DATASET names nothing."""
    from tinylib.data.archive import prepare
    from tinylib.data.synthetic import synthetic_for_profile

    profile = profile or config.profile()
    chosen = config.dataset_setting()
    if chosen is not None:
        if chosen.is_file() and chosen.suffix.lower() == ".zip":
            return prepare(chosen, progress=progress)
        if not chosen.is_dir():
            raise FileNotFoundError(
                f"${config.DATASET_ENV} is {chosen}, which is neither a folder nor a .zip: "
                f"set it to an official-layout folder or zip, or unset it to use the {profile.name} profile's data"
            )
        return chosen
    if profile.dataset == "synthetic":
        return synthetic_for_profile(profile, progress=progress)
    return attached_dataset() or prepare(progress=progress)
