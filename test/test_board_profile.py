"""board_profile(): core, RAM, flash budget and stack reserve from PlatformIO board manifests, official
(../shared/platforms) and our own, and the budget table that names them."""

import json
import subprocess
import sys

import pytest

from conftest import PLATFORM_DIR, REPO
from platformio_tinyml.board_profile import (BUILTIN_APP_PARTITIONS, DEFAULT_STACK_RESERVE, KNOWN_CORES,
                                             BoardProfileError, board_profile)
from platformio_tinyml.budget import BudgetError, MemoryNeeds, check_budget
from platformio_tinyml.engine.cores import KERNEL_PATHS, KernelPath, kernel_path

PLATFORMS = REPO.parent / "shared" / "platforms"
ESP32 = PLATFORMS / "platform-espressif32"
S3_BOARD = "esp32-s3-devkitc-1"  # build.mcu esp32s3, build.arduino.partitions default_8MB.csv, 8 MB flash


def official(platform: str, board: str) -> tuple[dict, object]:
    folder = PLATFORMS / f"platform-{platform}"
    if not folder.is_dir():
        pytest.skip("../shared/platforms is absent (PlatformIO's official platforms, only on the project's machines)")
    return json.loads((folder / "boards" / f"{board}.json").read_text()), folder


def ours(board: str) -> dict:
    return json.loads((REPO / "boards" / f"{board}.json").read_text())


def s3_profile(tmp_path, options=None, framework_dirs=None, manifest=None):
    s3, folder = official("espressif32", S3_BOARD)
    return board_profile(S3_BOARD, manifest or s3, options or {}, tmp_path, folder, framework_dirs)


# --- official Arm boards ---------------------------------------------------------------------------

@pytest.mark.parametrize("platform, board, core, ram, flash", [
    ("ststm32", "nucleo_f401re", "cortex-m4", 98304, 524288),
    ("ststm32", "nucleo_f746zg", "cortex-m7", 327680, 1048576),
    ("nordicnrf52", "nrf52840_dk", "cortex-m4", 262144, 1048576),
])
def test_official_arm_boards(tmp_path, platform, board, core, ram, flash):
    manifest, folder = official(platform, board)
    profile = board_profile(board, manifest, {}, tmp_path, folder)
    assert (profile.board_id, profile.core, profile.ram, profile.flash) == (board, core, ram, flash)
    assert profile.flash_what == "upload.maximum_size"
    assert profile.stack_reserve == DEFAULT_STACK_RESERVE == 8192
    assert profile.stack_reserve_source == "default: the board does not say"
    assert profile.stack_reserve_is_default


def test_small_ram_board_gets_a_smaller_default_stack(tmp_path):
    manifest, folder = official("ststm32", "nucleo_f030r8")
    profile = board_profile("nucleo_f030r8", manifest, {}, tmp_path, folder)
    assert (profile.core, profile.ram, profile.flash) == ("cortex-m0", 8192, 65536)
    assert profile.stack_reserve == 1024  # an eighth of 8 KiB, not all of it
    assert profile.stack_reserve_source.startswith("default: the board does not say; 1/8 of its 8,192 B RAM")


def test_board_options_override_the_manifest(tmp_path):
    manifest, folder = official("ststm32", "nucleo_f401re")
    options = {"board_upload.maximum_size": "262144", "board_tinyml.stack_size": "4096",
               "board_upload.maximum_ram_size": 65536}
    profile = board_profile("nucleo_f401re", manifest, options, tmp_path, folder)
    assert (profile.ram, profile.flash, profile.flash_what) == (65536, 262144, "board_upload.maximum_size")
    assert (profile.stack_reserve, profile.stack_reserve_source) == (4096, "board_tinyml.stack_size")
    assert not profile.stack_reserve_is_default


def test_a_bad_size_names_the_option(tmp_path):
    manifest, folder = official("ststm32", "nucleo_f401re")
    with pytest.raises(BoardProfileError, match=r"board 'nucleo_f401re': board_tinyml.stack_size = 'lots'"):
        board_profile("nucleo_f401re", manifest, {"board_tinyml.stack_size": "lots"}, tmp_path, folder)


# --- our own boards --------------------------------------------------------------------------------

@pytest.mark.parametrize("board, core, ram, flash", [
    ("corstone300", "cortex-m55", 524288, 524288),
    ("nrf52840", "cortex-m4", 262144, 1048576),
    ("stm32f405", "cortex-m4", 196608, 1048576),
    ("stm32f746", "cortex-m7", 327680, 1048576),
    ("esp32s3", "esp32s3", 327680, 8388608),  # our platform builds no partition table
])
@pytest.mark.parametrize("platform_dir", [PLATFORM_DIR, None])
def test_our_boards(tmp_path, board, core, ram, flash, platform_dir):
    profile = board_profile(board, ours(board), {"framework": []}, tmp_path, platform_dir)
    assert (profile.core, profile.ram, profile.flash) == (core, ram, flash)
    assert profile.flash_what == "upload.maximum_size"
    assert (profile.stack_reserve, profile.stack_reserve_source) == (8192, "tinyml.stack_size")


def test_our_native_board_is_the_host(tmp_path):
    profile = board_profile("native", ours("native"), {}, tmp_path, PLATFORM_DIR)
    assert (profile.core, profile.ram, profile.flash, profile.stack_reserve) == ("host", 0, 0, 0)


def test_native_without_a_board_is_the_host(tmp_path):
    for board_id, manifest in ((None, None), ("native", None)):
        profile = board_profile(board_id, manifest, {"platform": "native"}, tmp_path, None)
        assert profile.board_id == "native"
        assert (profile.core, profile.ram, profile.flash, profile.stack_reserve) == ("host", 0, 0, 0)
        assert not profile.stack_reserve_is_default
    assert "host" in profile.summary()


# --- ESP32-S3 on the espressif32 platform ----------------------------------------------------------

def test_esp32s3_core_from_build_mcu(tmp_path):
    profile = s3_profile(tmp_path, {"framework": ["arduino"]})
    assert profile.core == "esp32s3" and kernel_path(profile.core) is KernelPath.PLAIN_C
    assert profile.ram == 327680
    assert (profile.stack_reserve, profile.stack_reserve_source) == (8192, "default: the board does not say")


def test_esp32s3_arduino_default_table_is_the_boards(tmp_path):
    # The manifest names build.arduino.partitions = default_8MB.csv: app0 is 0x330000 of the 8 MB.
    profile = s3_profile(tmp_path, {"framework": ["arduino"]})
    assert profile.flash == 0x330000 == 3342336
    assert profile.flash_what.startswith("app partition 'app0' of default_8MB.csv, framework-arduinoespressif32")


def test_esp32s3_arduino_without_a_table_in_the_manifest_uses_default_csv(tmp_path):
    s3, _ = official("espressif32", S3_BOARD)
    del s3["build"]["arduino"]["partitions"]
    profile = s3_profile(tmp_path, {"framework": "arduino"}, manifest=s3)
    assert (profile.flash, profile.flash_what.split(",")[0]) == (0x140000, "app partition 'app0' of default.csv")


def test_esp32s3_espidf_default_table(tmp_path):
    # ESP-IDF ignores build.arduino.partitions: partitions_singleapp.csv, a 1 MiB factory app.
    for frameworks in (["espidf"], ["arduino", "espidf"], "arduino, espidf"):
        profile = s3_profile(tmp_path, {"framework": frameworks})
        assert profile.flash == 1024 * 1024
        assert profile.flash_what.startswith("app partition 'factory' of partitions_singleapp.csv")


def test_esp32s3_builtin_table_by_name(tmp_path):
    profile = s3_profile(tmp_path, {"framework": ["arduino"], "board_build.partitions": "huge_app.csv"})
    assert profile.flash == 3 * 1024 * 1024


def test_esp32s3_without_a_framework_keeps_upload_maximum_size(tmp_path):
    # No framework sets PARTITIONS_TABLE_CSV, so _update_max_upload_size changes nothing.
    profile = s3_profile(tmp_path, {})
    assert profile.flash == 8388608
    assert profile.flash_what.startswith("upload.maximum_size (no framework")


PROJECT_TABLE = """\
# Name,   Type, SubType, Offset,  Size, Flags
nvs,      data, nvs,     0x9000,  0x5000,
otadata,  data, ota,     0xe000,  0x2000,
factory,  app,  factory, ,        0x280000,
big,      app,  ota_0,   ,        5M,
spiffs,   data, spiffs,  ,        1M,
"""


def test_esp32s3_project_partitions_csv(tmp_path):
    (tmp_path / "partitions.csv").write_text(PROJECT_TABLE)
    for framework in ("arduino", "espidf"):
        profile = s3_profile(tmp_path, {"framework": [framework], "board_build.partitions": "partitions.csv"})
        assert profile.flash == 0x280000
        assert profile.flash_what == "app partition 'factory' of partitions.csv"


def test_esp32s3_custom_app_partition_name(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "mine.csv").write_text(PROJECT_TABLE)
    options = {"framework": ["arduino"], "board_build.partitions": "tables/mine.csv",
               "board_build.app_partition_name": "big"}
    profile = s3_profile(tmp_path, options)
    assert (profile.flash, profile.flash_what) == (5 * 1024 * 1024, "app partition 'big' of tables/mine.csv")
    # A name not in the table: the builder warns and takes factory / ota_0.
    profile = s3_profile(tmp_path, {**options, "board_build.app_partition_name": "nope"})
    assert profile.flash == 0x280000
    assert profile.flash_what == ("app partition 'factory' of tables/mine.csv; "
                                  "board_build.app_partition_name 'nope' is not in the table")


def test_esp32s3_table_without_an_app_partition(tmp_path):
    (tmp_path / "data_only.csv").write_text("nvs, data, nvs, 0x9000, 0x5000,\n")
    profile = s3_profile(tmp_path, {"framework": ["arduino"], "board_build.partitions": "data_only.csv"})
    assert profile.flash == 8388608
    assert profile.flash_what == "upload.maximum_size (data_only.csv has no factory or ota_0 app partition)"


def test_esp32s3_missing_partitions_csv(tmp_path):
    with pytest.raises(BoardProfileError) as caught:
        s3_profile(tmp_path, {"framework": ["arduino"], "board_build.partitions": "missing.csv"})
    text = str(caught.value)
    assert f"board '{S3_BOARD}': board_build.partitions = missing.csv: no such partitions table" in text
    assert str(tmp_path / "missing.csv") in text


def test_esp32s3_bad_size_in_the_table(tmp_path):
    (tmp_path / "bad.csv").write_text("factory, app, factory, 0x10000, lots,\n")
    with pytest.raises(BoardProfileError, match=r"bad.csv, line 1: partition 'factory' has size 'lots'"):
        s3_profile(tmp_path, {"framework": ["arduino"], "board_build.partitions": "bad.csv"})


def fake_arduino_framework(tmp_path, default_8mb_app=0x200000):
    framework = tmp_path / "framework-arduinoespressif32"
    (framework / "tools" / "partitions").mkdir(parents=True)
    (framework / "tools" / "partitions" / "default_8MB.csv").write_text(
        f"nvs, data, nvs, 0x9000, 0x5000,\napp0, app, ota_0, 0x10000, {default_8mb_app:#x},\n")
    (framework / "variants" / "esp32s3").mkdir(parents=True)
    return framework


def test_esp32s3_framework_folder_is_read_when_given(tmp_path):
    framework = fake_arduino_framework(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "default_8MB.csv").write_text(PROJECT_TABLE)  # the builder looks in the framework first
    for key in ("arduino", "framework-arduinoespressif32"):
        s3, folder = official("espressif32", S3_BOARD)
        profile = board_profile(S3_BOARD, s3, {"framework": ["arduino"]}, project, folder, {key: framework})
        assert profile.flash == 0x200000
        assert profile.flash_what == f"app partition 'app0' of {framework / 'tools' / 'partitions' / 'default_8MB.csv'}"


def test_esp32s3_variant_partitions_csv(tmp_path):
    framework = fake_arduino_framework(tmp_path)
    (framework / "variants" / "esp32s3" / "partitions.csv").write_text(PROJECT_TABLE)
    s3, folder = official("espressif32", S3_BOARD)
    del s3["build"]["arduino"]["partitions"]  # no name: the variant's partitions.csv, else default.csv
    profile = board_profile(S3_BOARD, s3, {"framework": ["arduino"]}, tmp_path, folder, {"arduino": framework})
    assert profile.flash == 0x280000


def test_esp32s3_framework_given_but_table_missing(tmp_path):
    framework = fake_arduino_framework(tmp_path)
    with pytest.raises(BoardProfileError, match=r"board_build.partitions = huge_app.csv: no such partitions table"):
        s3_profile(tmp_path, {"framework": ["arduino"], "board_build.partitions": "huge_app.csv"},
                   {"arduino": framework})


def test_esp32s3_board_table_not_built_in_names_the_manifest_key(tmp_path):
    manifest, folder = official("espressif32", "adafruit_feather_esp32s3")  # partitions-4MB-tinyuf2.csv
    with pytest.raises(BoardProfileError, match=r"build.arduino.partitions = partitions-4MB-tinyuf2.csv"):
        board_profile("adafruit_feather_esp32s3", manifest, {"framework": ["arduino"]}, tmp_path, folder)


# --- cores -----------------------------------------------------------------------------------------

def test_unknown_core_names_board_mcu_and_known_cores(tmp_path):
    manifest = {"build": {"cpu": "cortex-m23", "mcu": "saml10e16a"}, "upload": {"maximum_size": 65536}}
    with pytest.raises(BoardProfileError) as caught:
        board_profile("saml10_xpro", manifest, {}, tmp_path, None)
    text = str(caught.value)
    assert "board 'saml10_xpro' (build.cpu 'cortex-m23', build.mcu 'saml10e16a')" in text
    assert "cortex-m4, cortex-m7" in text and "esp32s3" in text


def test_official_riscv_esp32_is_unknown(tmp_path):
    manifest, folder = official("espressif32", "esp32-c3-devkitm-1")
    with pytest.raises(BoardProfileError, match=r"board 'esp32-c3-devkitm-1' \(build.cpu not set, "
                                                r"build.mcu 'esp32c3'\).*Known cores"):
        board_profile("esp32-c3-devkitm-1", manifest, {}, tmp_path, folder)


def test_known_cores_are_the_engines():
    assert set(KNOWN_CORES) == set(KERNEL_PATHS)
    assert kernel_path("esp32s3") is KernelPath.PLAIN_C
    with pytest.raises(ValueError):
        kernel_path("xtensa")


def test_builtin_tables_are_small():
    assert sum(len(tables) for tables in BUILTIN_APP_PARTITIONS.values()) <= 12


def test_module_needs_only_the_standard_library():
    code = ("import sys; import platformio_tinyml.board_profile; "
            "bad = [m for m in ('numpy', 'SCons', 'platformio') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# --- the budget table names them -------------------------------------------------------------------

def test_budget_table_names_a_default_stack_and_the_flash_limit(tmp_path):
    profile = s3_profile(tmp_path, {"framework": ["arduino"]})
    needs = MemoryNeeds(arena=330_000, arena_lower_bound=320_000, stack_reserve=profile.stack_reserve,
                        model=3_400_000, tables=512)
    with pytest.raises(BudgetError) as caught:
        check_budget(profile.board_id, profile.ram, profile.flash, needs, None,
                     stack_reserve_source=profile.stack_reserve_source, flash_what=profile.flash_what)
    text = str(caught.value)
    assert "stack reserve (default)" in text
    assert "stack reserve: default: the board does not say; set board_tinyml.stack_size" in text
    assert (f"flash of board '{S3_BOARD}': 3,342,336 B (app partition 'app0' of default_8MB.csv, "
            "framework-arduinoespressif32's table (built-in figure))") in text


def test_budget_table_without_a_default_stack():
    needs = MemoryNeeds(arena=300_000, arena_lower_bound=290_000, stack_reserve=8192, model=2_000_000, tables=0)
    with pytest.raises(BudgetError) as caught:
        check_budget("nrf52840", 262144, 1048576, needs, None, stack_reserve_source="tinyml.stack_size",
                     flash_what="upload.maximum_size")
    text = str(caught.value)
    assert "stack reserve (default)" not in text and "    stack reserve   " in text
    assert "flash of board 'nrf52840': 1,048,576 B (upload.maximum_size)" in text
