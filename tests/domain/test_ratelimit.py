from server.domain.ratelimit import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_limit_then_window_expiry():
    clock = Clock()
    lim = SlidingWindowLimiter(3, 60, clock)
    assert [lim.hit("a") for _ in range(4)] == [True, True, True, False]
    assert lim.hit("b")
    assert lim.retry_after("a") == 60
    clock.t = 59.9
    assert not lim.allow("a")
    clock.t = 60.0
    assert lim.hit("a")


def test_reset_and_fail_count():
    lim = SlidingWindowLimiter(2, 10, Clock())
    lim.fail("k")
    lim.fail("k")
    assert not lim.allow("k")
    lim.reset("k")
    assert lim.allow("k")


def test_key_table_is_bounded():
    clock = Clock()
    lim = SlidingWindowLimiter(1, 10, clock, max_keys=5)
    for i in range(50):
        lim.hit(i)
    assert len(lim._events) <= 5
