"""The Kafka-protocol broker of the tests: bench/tansu.py's Tansu (shared with the
end-to-end bench), and one that its clients reach only through a cutting proxy."""

import contextlib
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.tansu import Tansu, free_port
from tests.tcp_proxy import TcpProxy

__all__ = ["Tansu", "committed", "free_port", "proxied_tansu"]


@contextlib.asynccontextmanager
async def proxied_tansu() -> AsyncIterator[tuple[Tansu, TcpProxy]]:
    """A broker its clients reach only through a proxy (it advertises the proxy's port),
    so a test can cut them off while the broker keeps its in-memory topics."""
    proxy_port = free_port()
    with Tansu(advertised_port=proxy_port) as broker:
        proxy = TcpProxy(broker.port, proxy_port)
        await proxy.start()
        try:
            yield broker, proxy
        finally:
            await proxy.stop()


async def committed(broker: Tansu, group: str, topic: str) -> int | None:
    """The position `group` has committed on the topic's partition 0."""
    reader = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap_servers, group_id=group)
    await reader.start()
    try:
        return await reader.committed(TopicPartition(topic, 0))
    finally:
        await reader.stop()
