#!/usr/bin/env python3
"""Static check of docker-compose.yml (no Docker engine here): structure, and every option the
Tapeline services pass exists in `tapeline run --help`."""
import re
import subprocess
import sys

import yaml

compose = yaml.safe_load(open("docker-compose.yml"))
services = compose["services"]
problems = []
for name in ("kafka-1", "kafka-2", "kafka-3", "schema-registry", "tapeline-agent", "tapeline-processor",
             "tapeline-sink"):
    if name not in services:
        problems.append(f"service {name} missing")
help_text = subprocess.run(["java", "-jar", "tapeline-app/target/tapeline.jar", "run", "--help"],
                           capture_output=True, text=True, check=True).stdout
known = set(re.findall(r"--[a-z-]+", help_text))
components = set()
for name, service in services.items():
    if not name.startswith("tapeline-"):
        continue
    command = service.get("command", [])
    if command[:1] != ["run"]:
        problems.append(f"{name}: command must start with run")
    for option in [c for c in command if c.startswith("--")]:
        if option not in known:
            problems.append(f"{name}: unknown option {option}")
    if "--components" in command:
        components.update(command[command.index("--components") + 1].split(","))
    if "--metrics-port" not in command or "/health/ready" not in " ".join(service.get("healthcheck", {}).get("test", [])):
        problems.append(f"{name}: needs --metrics-port and a health check on /health/ready")
    for dependency in service.get("depends_on", {}):
        if dependency not in services:
            problems.append(f"{name}: depends on unknown service {dependency}")
if components != {"AGENT", "PROCESSOR", "SINK"}:
    problems.append(f"the services together must run every component, got {sorted(components)}")
kafka = {name: service["environment"] for name, service in services.items() if name.startswith("kafka-")}
for name, env in kafka.items():
    voters = dict(v.split("@") for v in env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","))
    if voters.get(str(env["KAFKA_NODE_ID"])) != f"{name}:9093":
        problems.append(f"{name}: not its own quorum voter ({env['KAFKA_NODE_ID']}@{name}:9093)")
    if len(voters) != len(kafka):
        problems.append(f"{name}: {len(voters)} voters for {len(kafka)} nodes")
    if env.get("CLUSTER_ID") != next(iter(kafka.values())).get("CLUSTER_ID"):
        problems.append(f"{name}: another CLUSTER_ID")
if problems:
    print("docker-compose.yml: " + "; ".join(problems))
    sys.exit(1)
print(f"docker-compose.yml: {len(services)} services checked")
