"""Events on Kafka: the envelope, the outbox that publishes them and the inbox that consumes them once."""
