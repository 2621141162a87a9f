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
for name in ("kafka", "schema-registry", "tapeline-agent", "tapeline-processor", "tapeline-sink"):
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
    for dependency in service.get("depends_on", {}):
        if dependency not in services:
            problems.append(f"{name}: depends on unknown service {dependency}")
if components != {"AGENT", "PROCESSOR", "SINK"}:
    problems.append(f"the services together must run every component, got {sorted(components)}")
voters = services["kafka"]["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"]
if not voters.startswith(f"{services['kafka']['environment']['KAFKA_NODE_ID']}@"):
    problems.append("kafka: quorum voter id differs from node id")
if problems:
    print("docker-compose.yml: " + "; ".join(problems))
    sys.exit(1)
print(f"docker-compose.yml: {len(services)} services checked")
