"""``rotated``: the order of each repeat of the benchmarks that rotate what they measure."""

from rat_lava.bench.repeats import rotated


def test_each_repeat_starts_one_later_and_keeps_every_item():
    items = ("a", "b", "c")
    orders = [rotated(items, repeat) for repeat in range(4)]
    assert orders == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]
