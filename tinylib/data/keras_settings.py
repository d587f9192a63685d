"""The kit's images are channels-last (N, 64, 64, 3) whatever a user's ~/.keras/keras.json says.

`~/.keras/keras.json` with "image_data_format": "channels_first" (common on machines shared
with older code) makes Keras build every layer for (N, 3, 64, 64) images, and TensorFlow's
CPU convolutions then fail in training. The models and augmentation layers import this
module first; it sets channels-last for this process and says so in one line.
"""

from __future__ import annotations

import sys

import keras

NOTE = (
    "tinylib: note: your Keras settings ({where}) say image_data_format={value!r}; the kit's images are "
    "channels-last, so this process uses 'channels_last'"
)


def use_channels_last() -> bool:
    """Set Keras' image data format to "channels_last" for this process when it is not;
    prints one line to stderr then. Returns True when it changed the setting."""
    value = keras.config.image_data_format()
    if value == "channels_last":
        return False
    keras.config.set_image_data_format("channels_last")
    print(NOTE.format(where=_settings_file(), value=value), file=sys.stderr)
    return True


def _settings_file() -> str:
    import os

    return os.path.join(os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras"), "keras.json")


use_channels_last()
