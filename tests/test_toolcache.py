"""Tool cache: location rules, build once, atomic (a failed build leaves nothing), safe under concurrency."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from harness import toolcache


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KERNIA_HARNESS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cache_root_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERNIA_HARNESS_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert toolcache.cache_root() == tmp_path / "xdg" / "kernia-harness"
    monkeypatch.setenv("KERNIA_HARNESS_CACHE", str(tmp_path / "explicit"))
    assert toolcache.cache_root() == tmp_path / "explicit"
    expected_shared = toolcache.SHARED_ROOT_WHEN_ROOT if os.geteuid() == 0 else tmp_path / "explicit"
    assert toolcache.cache_root(shared=True) == expected_shared


def test_builds_once_even_when_two_runs_race(cache: Path) -> None:
    builds: list[Path] = []

    def build(staging: Path) -> None:
        builds.append(staging)
        time.sleep(0.3)  # long enough for the other thread to find the lock held
        (staging / "tool").write_text("v1")

    results: list[Path] = []
    threads = [threading.Thread(target=lambda: results.append(toolcache.ensure_tool("t-1", build))) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert results == [cache / "t-1", cache / "t-1"]
    assert (cache / "t-1" / "tool").read_text() == "v1"
    assert toolcache.ensure_tool("t-1", build) == cache / "t-1" and len(builds) == 1


def test_failed_build_leaves_nothing_behind(cache: Path) -> None:
    def broken(staging: Path) -> None:
        (staging / "half").write_text("partial")
        raise RuntimeError("network down")

    with pytest.raises(RuntimeError, match="network down"):
        toolcache.ensure_tool("t-2", broken)
    assert not (cache / "t-2").exists()
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []
