"""Two test runs on one machine never meet: each claims a Redis database of its own."""

from redis import Redis

from tests import services


def test_runs_claim_distinct_redis_databases_and_free_them_at_the_end(redis):
    first, second = services.RedisSpace(redis), services.RedisSpace(redis)
    try:
        claimed = first.claim(), second.claim()
        assert None not in claimed and len({redis, *claimed}) == 3  # this run's, and two more
        with Redis.from_url(first.url) as client:
            client.set("rq:queue:mail", "a job of the first run")
            first.empty()  # between two tests: its keys go, its lease stays
            assert client.keys("rq:*") == [] and client.exists(services.LEASE_KEY)
            first.release()  # its lease goes too (another run may take the database at once)
            assert client.get(services.LEASE_KEY) != first.token.encode()
    finally:
        first.release()
        second.release()
