"""The embedded store's shared map: a copy behaves as a dict copy, whatever is written where."""

from __future__ import annotations

import copy
import gc
import pickle
import random

from graph.stores.shared_map import FIRST_BUCKETS, SharedMap


def test_a_copy_and_its_original_change_independently_and_agree_with_dicts() -> None:
    rng = random.Random(7)
    maps: list[SharedMap[str, int]] = [SharedMap()]
    dicts: list[dict[str, int]] = [{}]
    for step in range(20_000):
        i = rng.randrange(len(maps))
        roll = rng.random()
        key = f"k{rng.randrange(3000)}"
        if roll < 0.01 and len(maps) < 12:  # copy one of them
            maps.append(maps[i].copy())
            dicts.append(dict(dicts[i]))
        elif roll < 0.15 and key in dicts[i]:
            del maps[i][key]
            del dicts[i][key]
        else:
            maps[i][key] = step
            dicts[i][key] = step
    assert len(maps) > 5  # copies were made, and written through after
    for m, d in zip(maps, dicts, strict=True):
        assert len(m) == len(d)
        assert dict(m.items()) == d
        assert sorted(m) == sorted(d)
        assert sorted(m.values()) == sorted(d.values())
        for key in ("k1", "k2999", "absent"):
            assert (key in m) == (key in d)
            assert m.get(key) == d.get(key)


def test_a_copy_copies_only_the_buckets_written_and_leaves_them_to_reference_counting() -> None:
    m: SharedMap[tuple[str, str], object] = SharedMap(
        {("cadre", str(i)): [i] for i in range(50_000)}
    )
    assert len(m._buckets) > FIRST_BUCKETS and not any(gc.is_tracked(b) for b in m._buckets)
    c = m.copy()
    c[("cadre", "7")] = [-7]
    shared = sum(a is b for a, b in zip(m._buckets, c._buckets, strict=True))
    assert shared == len(m._buckets) - 1
    assert m[("cadre", "7")] == [7] and c[("cadre", "7")] == [-7]
    assert any(gc.is_tracked(b) for b in c._buckets)  # a write tracks the bucket it copied
    c.untrack_own()
    assert not any(gc.is_tracked(b) for b in c._buckets)
    m[("cadre", "8")] = [-8]  # the original copies a shared bucket before writing too
    assert c[("cadre", "8")] == [8]


def test_copy_copy_and_pickle_give_maps_of_their_own() -> None:
    m: SharedMap[str, int] = SharedMap({f"k{i}": i for i in range(1000)})
    c = copy.copy(m)
    c["k1"] = -1
    assert m["k1"] == 1
    again = pickle.loads(pickle.dumps(m))
    assert dict(again.items()) == dict(m.items()) and again["k999"] == 999
