"""Puts the component into the wheel: the file named by ``GBG_GO_COMPONENT``
(a prebuilt ``gbg_go_client.wasm``) when it is set, else cargo's build of the
repository this package lives in. Copies the repository's LICENSE next to
pyproject.toml, which names it. Everything else is in pyproject.toml."""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent.parent


def component() -> Path:
    prebuilt = os.environ.get("GBG_GO_COMPONENT")
    if prebuilt:
        return Path(prebuilt)
    if not (REPOSITORY / "guest" / "client" / "Cargo.toml").is_file():
        raise SystemExit("set GBG_GO_COMPONENT to a gbg_go_client.wasm: this source tree has no guest/ to build it from")
    profile = ["--target", "wasm32-wasip2", "--profile", "guest"]
    subprocess.run(["cargo", "build", "--locked", "-p", "gbg-go-client", *profile], cwd=REPOSITORY, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPOSITORY / "target"))
    return target / "wasm32-wasip2" / "guest" / "gbg_go_client.wasm"


class BuildWithComponent(build_py):
    """``build_py`` that also copies the component next to the module."""

    def run(self) -> None:
        super().run()
        package = Path(self.build_lib) / "gbg_go"
        package.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(component(), package / "gbg_go_client.wasm")


if (REPOSITORY / "LICENSE").is_file():  # absent from an sdist, which carries its own copy
    shutil.copyfile(REPOSITORY / "LICENSE", HERE / "LICENSE")
setup(cmdclass={"build_py": BuildWithComponent})
