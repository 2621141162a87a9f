"""Reads Tapeline's recordings topic with Debian's confluent-kafka and its Avro deserializer.

Usage: read_recordings.py BOOTSTRAP REGISTRY_URL TOPIC COUNT
Prints one JSON line per record: the key and what the Avro value holds.
"""
import json
import sys

from confluent_kafka import Consumer
from confluent_kafka.avro.cached_schema_registry_client import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer

bootstrap, registry_url, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
serializer = MessageSerializer(CachedSchemaRegistryClient({"url": registry_url}))
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "tapeline-interop-python",
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "isolation.level": "read_committed",
})
consumer.subscribe([topic])
seen, idle = 0, 0
while seen < count and idle < 60:
    message = consumer.poll(1.0)
    if message is None:
        idle += 1
        continue
    if message.error():
        print(json.dumps({"error": str(message.error())}), file=sys.stderr)
        continue
    value = serializer.decode_message(message.value())
    print(json.dumps({
        "key": message.key().decode("utf-8"),
        "fixtureKey": value["fixtureKey"],
        "outcome": value["outcome"],
        "endpoint": value["request"]["endpoint"],
        "status": value["response"]["status"],
        "chunks": len(value["response"]["chunks"]),
        "testId": value["testId"],
    }), flush=True)
    seen += 1
consumer.close()
sys.exit(0 if seen == count else 1)
