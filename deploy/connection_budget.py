"""The database connections the stack may open at once, against what its RDS instance allows.

    python deploy/connection_budget.py build/prod/sam.yaml     (deploy/package.sh runs it)

Each Lambda environment holds at most one connection: a warm Lambda reuses it, it serves one request
or one sync run at a time, and a sync's writer thread works on the run's own connection. So the
functions open at most the sum of their concurrency limits. That, with the slots RDS keeps for itself
and a margin for people, must fit the instance's `max_connections`. A function without a concurrency
limit could open any number, and is refused, but for `Migrate` (run by hand; two at once are safe)
and the authorizer (it never connects).
Exit status 1 when the budget does not fit, printing the arithmetic either way.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CONNECTIONS_PER_ENVIRONMENT = 1
RDS_RESERVED = 3  # RDS's superuser_reserved_connections (rdsadmin, the master user's way in)
PEOPLE = 10  # psql sessions, a migration by hand, monitoring
UNLIMITED_BUT_BOUNDED = {"Migrate": 2}  # no reserved concurrency: invoked by hand
NO_DATABASE = {"BearerTokens"}  # the authorizer reads tokens (environment, secrets), never the database
# RDS for PostgreSQL's default: max_connections = LEAST(DBInstanceClassMemory / 9531392, 5000).
GIB = 1024**3
MEMORY = {
    "db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8, "db.t4g.xlarge": 16,
    "db.t3.micro": 1, "db.t3.small": 2, "db.t3.medium": 4, "db.t3.large": 8, "db.t3.xlarge": 16,
    "db.m7g.large": 8, "db.m7g.xlarge": 16, "db.m6g.large": 8, "db.m6g.xlarge": 16,
    "db.r7g.large": 16, "db.r7g.xlarge": 32, "db.r6g.large": 16, "db.r6g.xlarge": 32,
}  # fmt: skip


class BudgetError(Exception):
    pass


@dataclass
class Budget:
    instance_class: str
    max_connections: int
    functions: dict[str, int]  # name -> connections it may hold at once

    @property
    def needed(self) -> int:
        return sum(self.functions.values()) + RDS_RESERVED + PEOPLE

    @property
    def fits(self) -> bool:
        return self.needed <= self.max_connections

    def arithmetic(self) -> str:
        parts = [f"{name} {count}" for name, count in sorted(self.functions.items())]
        parts += [f"RDS reserved {RDS_RESERVED}", f"people {PEOPLE}"]
        verdict = "fits" if self.fits else "DOES NOT FIT"
        return (
            f"connections: {' + '.join(parts)} = {self.needed}; {self.instance_class} allows "
            f"{self.max_connections}: {verdict} ({self.max_connections - self.needed} to spare)"
        )


def max_connections(instance_class: str, parameters: dict[str, Any]) -> int:
    if "max_connections" in parameters:  # set in the stack's parameter group
        return int(parameters["max_connections"])
    if instance_class not in MEMORY:
        raise BudgetError(f"{instance_class}: not in the table of connection_budget.py; add its memory")
    return min(MEMORY[instance_class] * GIB // 9531392, 5000)


def budget(template: dict[str, Any]) -> Budget:
    resources = template["Resources"]
    database = resources["Database"]["Properties"]
    instance_class = database["DBInstanceClass"]
    if isinstance(instance_class, dict):  # {"Ref": "DatabaseInstanceClass"}: the parameter's default
        instance_class = template["Parameters"][instance_class["Ref"]]["Default"]
    group = resources.get("DatabaseParameters", {}).get("Properties", {}).get("Parameters", {})
    functions = {}
    for name, resource in resources.items():
        is_function = resource["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")
        if not is_function or name in NO_DATABASE:
            continue
        limit = resource["Properties"].get("ReservedConcurrentExecutions") or UNLIMITED_BUT_BOUNDED.get(name)
        if limit is None:
            raise BudgetError(f"{name} has no reserved concurrency: its connections are not bounded")
        functions[name] = int(limit) * CONNECTIONS_PER_ENVIRONMENT
    return Budget(instance_class, max_connections(instance_class, group), functions)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python deploy/connection_budget.py build/STAGE/sam.yaml", file=sys.stderr)
        return 2
    try:
        found = budget(yaml.safe_load(Path(argv[0]).read_text()))
    except BudgetError as exc:
        print(f"connection budget: {exc}", file=sys.stderr)
        return 1
    print(found.arithmetic())
    return 0 if found.fits else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
