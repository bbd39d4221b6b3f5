"""Write a synthetic statusgen site of N incidents for benchmarking.

    python bench/make_site.py OUT_DIR --incidents N [--seed 1] [--force] [--verify]

The output is a complete site (site.yml + content/) that depends only on N and the
seed, never on the clock: incidents are spread over the ten years ending on
2026-11-27 and every date lies before 2026-11-27T12:00:00Z, the `--now` that
bench/run.py builds with.  Standard library only; --verify runs this checkout's
`statusgen check` (python -m generator check), which needs statusgen's dependencies.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

UTC = timezone.utc
SITE_TZ_NAME = "America/New_York"
SITE_TZ = ZoneInfo(SITE_TZ_NAME)
#: The build's --now in bench/run.py; nothing generated is dated after it except
#: the window of the one upcoming maintenance.
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
#: Last instant an update may carry (an hour of slack before NOW).
LAST_UPDATE = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
#: Incidents start in [FIRST_START, LAST_START): ten years ending on 2026-11-27.
LAST_START = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
FIRST_START = datetime(2016, 11, 27, 0, 0, tzinfo=UTC)
#: The checkout whose `python -m generator check` --verify runs (as bench/run.py builds with it).
REPO = Path(__file__).resolve().parent.parent

IMPACTS = ("none", "minor", "major", "critical")
STATES = ("operational", "degraded_performance", "partial_outage", "major_outage")
STATE_FOR_IMPACT = {
    "none": "operational",
    "minor": "degraded_performance",
    "major": "partial_outage",
    "critical": "major_outage",
}

# --------------------------------------------------------------------------- site.yml

GROUPS: list[tuple[str, list[tuple[str, str, str]]]] = [
    (
        "Core platform",
        [
            ("website", "Website", "Marketing site and documentation"),
            ("dashboard", "Dashboard", "The web control panel"),
            ("api", "REST API", "Public REST API at api.example.com"),
            ("graphql-api", "GraphQL API", ""),
            ("authentication", "Authentication & SSO", "Logins, SAML and OAuth"),
        ],
    ),
    (
        "Infrastructure",
        [
            ("compute", "Compute instances", "Virtual machines in every region"),
            ("block-storage", "Block storage", ""),
            ("object-storage", "Object storage", "S3-compatible object storage"),
            ("load-balancers", "Load balancers", ""),
            ("dns", "Managed DNS", "Authoritative DNS for customer zones"),
        ],
    ),
    (
        "Data services",
        [
            ("postgres", "Managed PostgreSQL", ""),
            ("redis", "Managed Redis", ""),
            ("kafka", "Event streaming", "Managed Kafka clusters"),
            ("search", "Search", ""),
            ("backups", "Backups & snapshots", "Scheduled and on-demand backups"),
        ],
    ),
    (
        "Account & communications",
        [
            ("billing", "Billing", "Invoices, payments and usage reports"),
            ("email-delivery", "Email delivery", ""),
            ("webhooks", "Webhooks", "Outgoing event notifications"),
            ("notifications", "Push notifications", ""),
            ("support-portal", "Support portal", ""),
        ],
    ),
]
COMPONENT_IDS = [c[0] for _, cs in GROUPS for c in cs]
COMPONENT_NAME = {c[0]: c[1] for _, cs in GROUPS for c in cs}
COMPONENT_GROUP = {c[0]: g for g, cs in GROUPS for c in cs}
GROUP_MEMBERS = {g: [c[0] for c in cs] for g, cs in GROUPS}
HOSTS = {
    "website": "www.example.com",
    "dashboard": "cloud.example.com",
    "api": "api.example.com",
    "graphql-api": "api.example.com/graphql",
    "authentication": "login.example.com",
    "object-storage": "fra1.objects.example.com",
    "dns": "ns1.example-dns.net",
    "webhooks": "hooks.example.com",
    "support-portal": "support.example.com",
    "billing": "cloud.example.com/billing",
}


def site_yml(n: int, seed: int) -> str:
    """site.yml, written by hand so it looks like one a person keeps."""
    lines = [
        "# Synthetic benchmark site written by bench/make_site.py",
        f"# incidents: {n}, seed: {seed}",
        "title: Example Cloud Status",
        "base_url: https://status.example.com/",
        f"timezone: {SITE_TZ_NAME}",
        "language: en",
        "description: Current and past availability of Example Cloud services.",
        "links:",
        "  - title: Support",
        "    url: https://support.example.com/",
        "  - title: Example Cloud",
        "    url: https://www.example.com/",
        "history_days: 14",
        "feed_size: 50",
        "theme: default",
        "components:",
    ]
    for group, comps in GROUPS:
        for cid, name, desc in comps:
            lines.append(f"  - id: {cid}")
            lines.append(f"    name: {_yaml_str(name)}")
            if desc:
                lines.append(f"    description: {_yaml_str(desc)}")
            lines.append(f"    group: {_yaml_str(group)}")
    lines += [
        "audiences:",
        "  - id: public",
        "    title: Public",
        "    description: Everyone",
        "  - id: strategic",
        "    title: Strategic customers",
        "    description: Customers with a strategic support contract",
        "    noindex: true",
    ]
    return "\n".join(lines) + "\n"


_PLAIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ,.()/'&-]*[A-Za-z0-9).]$")


def _yaml_str(s: str) -> str:
    """A YAML scalar for s: plain when unambiguous, else double-quoted."""
    if _PLAIN_RE.match(s) and ": " not in s and " #" not in s:
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------- vocabulary

REGIONS = ["nyc1", "nyc3", "sfo2", "sfo3", "ams3", "fra1", "lon1", "sgp1", "blr1", "tor1", "syd1"]

# (slug, title template, candidate main components or None for any)
TOPICS: list[tuple[str, str, list[str] | None]] = [
    ("api-latency", "Elevated latency on the {cname}", ["api", "graphql-api"]),
    ("api-errors", "Increased error rates for {cname}", ["api", "graphql-api", "dashboard"]),
    ("degraded-performance", "Degraded performance of {cname}", None),
    ("outage", "{cname} unavailable", None),
    ("partial-outage", "Partial outage of {cname} in {region}", None),
    ("login-failures", "Some users unable to sign in", ["authentication", "dashboard"]),
    ("sso-errors", "SAML single sign-on failures", ["authentication"]),
    ("webhook-delays", "Delayed webhook deliveries", ["webhooks"]),
    ("email-delays", "Delays in email delivery", ["email-delivery"]),
    ("dns-resolution", "DNS resolution failures in {region}", ["dns"]),
    ("storage-errors", "Intermittent errors on {cname}", ["block-storage", "object-storage"]),
    ("billing-delays", "Delayed invoice generation", ["billing"]),
    ("dashboard-loading", "Dashboard failing to load for some users", ["dashboard"]),
    (
        "replication-lag",
        "Replication lag on {cname} clusters in {region}",
        ["postgres", "redis", "kafka"],
    ),
    (
        "network-connectivity",
        "Network connectivity issues in {region}",
        ["compute", "load-balancers"],
    ),
    (
        "provisioning-delays",
        "Delays provisioning new {cname}",
        ["compute", "postgres", "redis", "load-balancers"],
    ),
    ("backup-failures", "Scheduled backups failing for some databases", ["backups", "postgres"]),
    ("search-indexing", "Search results out of date", ["search"]),
    ("push-delays", "Delayed push notifications", ["notifications"]),
    ("support-portal", "Support portal unavailable", ["support-portal"]),
    (
        "tls-errors",
        "TLS certificate errors on {cname}",
        ["website", "api", "object-storage", "load-balancers"],
    ),
    (
        "ddos",
        "Mitigating a DDoS attack affecting {cname}",
        ["dns", "load-balancers", "website", "api"],
    ),
    ("kafka-consumer-lag", "Consumer lag on event streaming clusters", ["kafka"]),
    ("volume-attach", "Volumes failing to attach in {region}", ["block-storage", "compute"]),
]
RETITLES = [
    "{cname} disruption in {region}",
    "Service disruption affecting {cname}",
    "Elevated errors across {cname} and dependent services",
]

SYMPTOMS = [
    "elevated latency",
    "increased error rates",
    "intermittent 5xx responses",
    "request timeouts",
    "failed requests",
    "slow page loads",
    "delayed deliveries",
    "connection resets",
    "failed sign-ins",
    "stale data",
    "partial unavailability",
    "degraded throughput",
]
CAUSES = [
    "a misconfigured load balancer pool",
    "a failed top-of-rack switch in one of our {region} data centers",
    "a database failover that did not complete cleanly",
    "an expired intermediate TLS certificate",
    "a memory leak introduced in the latest release",
    "an outage at an upstream network provider",
    "connection pool exhaustion on the primary database",
    "a runaway background job saturating disk I/O",
    "a bad configuration push to our edge proxies",
    "a BGP route leak from an upstream transit provider",
    "a hot partition in our queueing cluster",
    "a full disk on a metadata node",
    "a DNS resolver that misbehaved after a routine update",
    "a race condition in the job scheduler",
    "a cache stampede after a cold restart",
    "noisy-neighbour contention on a storage host",
    "an index rebuild that locked a busy table",
    "a certificate rotation that missed two edge nodes",
    "a schema migration that ran longer than expected",
    "a power event in a single availability zone",
]
CHANGES = [
    "the most recent deployment",
    "yesterday's configuration change",
    "the new autoscaling policy",
    "the updated proxy build",
    "a feature flag enabling the new query planner",
    "the kernel update on the storage fleet",
    "the rate-limiter rule added this morning",
]
WORK = ["jobs", "webhooks", "emails", "requests", "events", "backups", "invoices", "notifications"]
RESOURCES = [
    "instances",
    "volumes",
    "databases",
    "clusters",
    "buckets",
    "load balancers",
    "domains",
]
METRICS = [
    ("p99 latency", "ms", 800, 9000),
    ("the error rate", "%", 2, 60),
    ("queue depth", "messages", 5000, 900000),
    ("replication lag", "seconds", 30, 1800),
    ("CPU utilisation", "%", 85, 100),
    ("the retry rate", "%", 3, 40),
]
CODES = [
    "502 Bad Gateway",
    "503 Service Unavailable",
    "504 Gateway Timeout",
    "500 Internal Server Error",
    "429 Too Many Requests",
    "ECONNRESET",
    "ETIMEDOUT",
    "SSL_ERROR_SYSCALL",
]
ENDPOINTS = [
    "/v2/droplets",
    "/v2/volumes",
    "/v2/databases",
    "/v2/account",
    "/v2/billing/invoices",
    "/v2/domains",
    "/graphql",
    "/oauth/token",
    "/v2/kubernetes/clusters",
    "/v2/monitoring/alerts",
]
CLI = [
    "example-cli compute list",
    "example-cli db backups list",
    "curl -I https://{host}",
    "dig +short {host}",
    "example-cli auth init",
    "kubectl get nodes",
]
DOCS = [
    ("our retry guidance", "docs/api/retries"),
    ("the troubleshooting guide", "docs/troubleshooting"),
    ("the rate limit documentation", "docs/api/rate-limits"),
    ("our SLA", "legal/sla"),
    ("the regional availability page", "docs/platform/regions"),
    ("the DNS propagation FAQ", "docs/dns/propagation"),
    ("the backup restore guide", "docs/backups/restore"),
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
TEAMS = [
    "database",
    "networking",
    "storage",
    "platform",
    "identity",
    "edge",
    "messaging",
    "billing",
]

OPENERS = {
    "investigating": [
        "We are investigating reports of {symptom} affecting {cname}.",
        "Our monitoring detected {symptom} on {cname} starting at {utc} UTC.",
        "We're investigating an issue causing {symptom} for {cname} customers in {region}.",
        "Engineers have been paged and are looking into {symptom} on {cname}.",
        "Some customers are experiencing {symptom} when using {cname}, and we are investigating.",
        "We have received reports that {cname} is returning `{code}` for a subset of requests.",
        "We are continuing to investigate {symptom} affecting {cname}.",
    ],
    "identified": [
        "The issue has been identified as {cause}, and a fix is being implemented.",
        "We have identified the cause of the {symptom}: {cause}.",
        "Our {team} team traced the problem to {cause}.",
        "The root of the {symptom} on {cname} appears to be {cause}; remediation is under way.",
        "We have isolated the issue to {region} and are rolling out a fix.",
        "We believe {cause} is responsible and are reverting {change}.",
    ],
    "monitoring": [
        "A fix has been implemented and we are monitoring the results.",
        "Error rates for {cname} have returned to normal levels and we are monitoring closely.",
        "We rolled back {change} and are seeing recovery in {region}.",
        "Mitigation is in place; {metric} is back to normal and we continue to monitor.",
        "{cname} is recovering and the backlog of {work} is being processed.",
        "We are observing steady recovery and will keep monitoring for at least another hour.",
    ],
    "resolved": [
        "This incident has been resolved.",
        "{cname} is operating normally and all queued {work} have been processed.",
        "The issue is fully resolved and no data was lost.",
        "All systems affected by this incident are operating normally again.",
        "We have confirmed full recovery of {cname} in {region}.",
        "The fix has held for over an hour and we are closing this incident.",
    ],
}
MAINT_OPENERS = {
    "scheduled": [
        "We will perform scheduled maintenance on {cname} in {region}.",
        "Planned maintenance on {cname} is scheduled for the window above.",
        "Our {team} team will upgrade the infrastructure behind {cname} during this window.",
    ],
    "in_progress": [
        "Scheduled maintenance is currently in progress.",
        "The maintenance on {cname} has started.",
        "Work is under way; we will post an update when it is complete.",
    ],
    "verifying": [
        "The maintenance work is complete and we are verifying the results.",
        "Engineers are running post-maintenance checks on {cname}.",
    ],
    "completed": [
        "The scheduled maintenance has been completed.",
        "Maintenance on {cname} finished ahead of schedule and all checks passed.",
        "This maintenance is complete; {cname} is operating normally.",
    ],
}
FILLER_ANY = [
    "Customers may see {symptom} when accessing {cname}.",
    "Requests to `{host}` may return `{code}` errors.",
    "Other components are not affected.",
    "At the peak, around {pct}% of requests in {region} were affected.",
    "{metric_sentence}",
    "Existing {resource} continue to run; only new {resource} are affected.",
    "No customer data was lost or exposed.",
    "If problems persist, please contact support and quote the `X-Request-Id` header.",
    "We temporarily shifted traffic away from {region} to limit the impact.",
    "Retrying failed requests with exponential backoff should succeed in most cases.",
    "Some {work} queued during the incident may be delivered out of order.",
    "Automated alerts fired at {utc} UTC and the incident was declared {mins} minutes later.",
    "Calls to `{endpoint}` were the most affected.",
    "Customers in regions other than {region} should not notice any change.",
    "Billing for the affected {resource} will be adjusted automatically.",
    "The impact is limited to accounts hosted on a single cell in {region}.",
    "A subset of API tokens created in the last {mins} minutes may need to be regenerated.",
    "Latency from {region} to our other regions increased by roughly {num} ms.",
    "Console sessions started before {utc} UTC may need to sign in again.",
    "DNS changes made during this window may take longer than usual to propagate.",
    "Internal tooling was unaffected and we have full visibility into the system.",
    "Affected requests will not be charged.",
    "We have confirmed that backups taken before {utc} UTC are intact.",
    "Dependent services such as {cname2} saw a smaller increase in {symptom}.",
    "Around {num} accounts opened support tickets about this issue.",
]
FILLER_ONGOING = [
    "We will provide another update within {mins} minutes.",
    "Our on-call team is actively working on mitigation.",
    "The team is evaluating a rollback as a precaution.",
    "We have added capacity to the affected cluster to speed up recovery.",
    "We appreciate your patience while we work through this.",
    "Engineering is coordinating with our upstream provider.",
    "The dashboard and the CLI may show stale values until caches expire.",
    "Running `{cli}` may hang or time out for the moment.",
    "We have paused deployments to {cname} until the situation is stable.",
    "The {team} team has joined the incident call.",
    "Health checks are failing for roughly {pct}% of the nodes in the pool.",
    "We are draining the unhealthy hosts and replacing them.",
    "Throughput has been throttled to protect the primary database.",
    "We have opened a ticket with our hardware vendor.",
    "Traffic is being served from the standby cluster for now.",
    "Please do not retry destructive operations until we confirm recovery.",
    "Scheduled {work} will run once the backlog has drained.",
    "We are replaying failed {work} from the dead-letter queue.",
    "As a workaround, requests routed through {region2} are succeeding.",
]
FILLER_AFTER = [
    "We will publish a detailed review of this incident within five business days.",
    "Error rates returned to baseline at {utc} UTC.",
    "All queued {work} have been delivered.",
    "We are reviewing our alerting so that a failure like this pages us sooner.",
    "The backlog of {work} drained in about {mins} minutes.",
    "Traffic has been moved back to {region}.",
    "We have added a regression test and a canary check for this failure mode.",
    "We are sorry for the disruption this caused.",
    "Deployments to {cname} have resumed.",
    "Follow-up work is tracked with the {team} team.",
    "Customers who still see errors should clear cached credentials and retry.",
]
FILLER = {
    "investigating": FILLER_ANY + FILLER_ONGOING,
    "identified": FILLER_ANY + FILLER_ONGOING,
    "monitoring": FILLER_ANY + FILLER_ONGOING[:8] + FILLER_AFTER,
    "resolved": FILLER_ANY + FILLER_AFTER,
}
FILLER["scheduled"] = FILLER["in_progress"] = FILLER["verifying"] = FILLER["completed"] = [
    "Expected impact: {cname} may be read-only for up to {mins} minutes.",
    "No action is required on your part.",
    "Existing {resource} will keep running throughout the window.",
    "Creating or resizing {resource} in {region} will be paused.",
    "API requests to `{endpoint}` may briefly return `{code}`.",
    "We will post updates here as the work progresses.",
    "The work is part of our regular upgrade cycle for the {team} fleet.",
    "If you have a launch planned for this window, please contact support.",
    "Connections may be reset once as traffic moves to upgraded hosts.",
    "We expect the window to finish early.",
    "Automated failover keeps the service available during the upgrade.",
    "Scheduled {work} will be delayed until the work is done.",
    "Monitoring and alerting remain fully active during the window.",
    "You can check progress with `{cli}`.",
]
#: Step sizes that walk a filler list in a per-body order without repeats.
_STEPS = (1, 3, 5, 7, 11, 13, 17)


BULLETS = {
    "Affected operations:": [
        "Creating new {resource} in {region}",
        "Resizing existing {resource}",
        "API calls to `{endpoint}`",
        "Webhook deliveries to endpoints in {region}",
        "Console pages that list {resource}",
        "Scheduled {work} for accounts in {region}",
        "Signing in with SAML single sign-on",
    ],
    "Current workarounds:": [
        "Retry with `--timeout 120` when using the CLI",
        "Use the {region2} region for new workloads",
        "Run `{cli}` to check the state of your resources",
        "Read-only access keeps working",
        "Sign in again if the dashboard shows an error",
        "Queue {work} locally and resend them later",
    ],
    "Next steps:": [
        "Restart the {team} workers",
        "Replay the queued {work}",
        "Review {change}",
        "Add capacity in {region}",
        "Confirm the fix with the upstream provider",
        "Re-enable deployments to {cname}",
    ],
    "Timeline so far:": [
        "{utc} UTC: alerts fired for {cname}",
        "{utc} UTC: traffic shifted away from {region}",
        "{utc} UTC: incident declared",
        "{utc} UTC: {change} rolled back",
        "{utc} UTC: error rates started to fall",
        "{utc} UTC: the {team} team joined the call",
    ],
}
POSTMORTEM_SECTIONS = [
    ("Summary", "Between {utc} and {utc} UTC, customers saw {symptom} on {cname}."),
    ("Impact", "At the peak, around {pct}% of requests to {cname} in {region} failed."),
    ("Root cause", "The incident was caused by {cause}."),
    (
        "Resolution",
        "We mitigated the issue by rolling back {change} and adding capacity in {region}.",
    ),
    ("What we are changing", "We are making the following changes so this does not happen again."),
]
STRATEGIC = [
    "Strategic accounts: {num} of your production projects in {region} were in the affected cell.",
    "Your technical account manager will share a detailed impact report by {weekday}.",
    "Internal ticket reference: INC-{ticket}. Escalate through your dedicated channel.",
    "SLA credits will be applied automatically to affected strategic contracts.",
    "The underlying defect is tracked as {team}-{ticket}; a hotfix is scheduled for {weekday}.",
    "We prioritised recovery of dedicated clusters before shared capacity.",
    "Per-account request logs for the incident window are available on request.",
    "Root cause details under NDA: {cause}.",
    "Your reserved capacity in {region} was not affected; only on-demand {resource} were.",
    "Contact the duty manager on the strategic hotline for a live briefing.",
]


class _Fill(dict):
    """Per-incident values; unknown keys draw a fresh random value every time."""

    def __init__(self, rng: random.Random, base: dict[str, str]) -> None:
        super().__init__(base)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        r = self.rng
        if key == "pct":
            return str(r.randint(2, 95))
        if key == "mins":
            return str(r.choice((5, 10, 15, 20, 30, 45, 60)))
        if key == "num":
            return str(r.randint(2, 400))
        if key == "ticket":
            return str(r.randint(1000, 99999))
        if key == "utc":
            return f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}"
        if key == "code":
            return r.choice(CODES)
        if key == "endpoint":
            return r.choice(ENDPOINTS)
        if key == "cli":
            return r.choice(CLI).replace("{host}", self["host"])
        if key == "resource":
            return r.choice(RESOURCES)
        if key == "work":
            return r.choice(WORK)
        if key == "team":
            return r.choice(TEAMS)
        if key == "change":
            return r.choice(CHANGES)
        if key == "symptom":
            return r.choice(SYMPTOMS)
        if key == "cname2":
            return COMPONENT_NAME[r.choice(COMPONENT_IDS)]
        if key == "region2":
            return r.choice(REGIONS)
        if key == "weekday":
            return r.choice(WEEKDAYS)
        if key == "nth":
            return r.choice(("second", "third", "fourth", "latest"))
        if key == "metric":
            return r.choice(METRICS)[0]
        if key == "metric_sentence":
            name, unit, lo, hi = r.choice(METRICS)
            sep = "" if unit == "%" else " "
            return f"{_upper_first(name)} peaked at {r.randint(lo, hi)}{sep}{unit} before recovering."
        raise KeyError(key)


def _sentence(fill: _Fill, template: str) -> str:
    return template.format_map(fill)


def _paragraphs(rng: random.Random, fill: _Fill, opener: str, target: int, filler: list[str]) -> list[str]:
    """Paragraphs of 2-4 sentences totalling about `target` words, no sentence twice."""
    paras: list[str] = []
    sentences = [_sentence(fill, opener)]
    words = sentences[0].count(" ") + 1
    size = rng.randint(2, 4)
    n = len(filler)
    pos = rng.randrange(n)
    step = rng.choice([s for s in _STEPS if n % s])
    for _ in range(n):
        if words >= target:
            break
        pos = (pos + step) % n
        s = _sentence(fill, filler[pos])
        words += s.count(" ") + 1
        sentences.append(s)
        if len(sentences) >= size:
            paras.append(" ".join(sentences))
            sentences = []
            size = rng.randint(2, 4)
    if sentences:
        paras.append(" ".join(sentences))
    return paras


def _upper_first(s: str) -> str:
    return s[:1].upper() + s[1:]


def _bullets(rng: random.Random, fill: _Fill, intro: str = "") -> str:
    intro = intro or rng.choice(list(BULLETS))
    items = rng.sample(BULLETS[intro], rng.randint(3, 5))
    return intro + "\n\n" + "\n".join("- " + _sentence(fill, i) for i in items)


def _strategic_block(rng: random.Random, fill: _Fill) -> str:
    lines = [_sentence(fill, s) for s in rng.sample(STRATEGIC, rng.randint(2, 4))]
    return "::: strategic\n" + " ".join(lines) + "\n:::"


def body(rng: random.Random, fill: _Fill, status: str, opener: str, lo: int, hi: int, strategic: bool) -> str:
    """A Markdown body of about lo..hi words, with the occasional list, link and block."""
    target = rng.randint(lo, hi - 20)  # the last sentence may overshoot a little
    blocks: list[str] = []
    if rng.random() < 0.2:
        blocks.append(_bullets(rng, fill))
    if strategic:
        blocks.append(_strategic_block(rng, fill))
    block_words = sum(len(b.split()) for b in blocks)
    paras = _paragraphs(rng, fill, opener, max(target - block_words, 30), FILLER[status])
    if rng.random() < 0.15:
        text, path = rng.choice(DOCS)
        i = rng.randrange(len(paras))
        paras[i] += f" See [{text}](https://www.example.com/{path}) for details."
    for block in blocks:
        paras.insert(rng.randint(1, len(paras)), block)
    return "\n\n".join(paras) + "\n"


# --------------------------------------------------------------------------- dates

_IST = timezone(timedelta(hours=5, minutes=30))


def fmt_date(rng: random.Random, dt: datetime) -> str:
    """ISO 8601 with an offset: mostly site-local, sometimes UTC or another zone."""
    r = rng.random()
    if r < 0.75:
        return dt.astimezone(SITE_TZ).isoformat(timespec="seconds")
    if r < 0.95:
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.astimezone(_IST).isoformat(timespec="seconds")


def _start_times(rng: random.Random, n: int, first: datetime, last: datetime) -> list[datetime]:
    span = int((last - first).total_seconds())
    secs = sorted(rng.randrange(span) // 60 * 60 for _ in range(n))
    return [first + timedelta(seconds=s) for s in secs]


# --------------------------------------------------------------------------- incidents


def _components_for(rng: random.Random, main: str) -> list[str]:
    comps = [main]
    extra = rng.random()
    if extra < 0.35:
        same = [c for c in GROUP_MEMBERS[COMPONENT_GROUP[main]] if c != main]
        comps.append(rng.choice(same))
    elif extra < 0.45:
        comps += [c for c in rng.sample(COMPONENT_IDS, 2) if c not in comps]
    return comps


def _components_yaml(rng: random.Random, comps: list[str], impact: str, as_mapping: bool) -> list[str]:
    if as_mapping:
        worst = STATE_FOR_IMPACT[impact]
        lines = ["components:"]
        for i, c in enumerate(comps):
            state = worst if i == 0 else rng.choice(STATES[1 : STATES.index(worst) + 1] or STATES[:1])
            lines.append(f"  {c}: {state}")
        return lines
    if not comps:
        return ["components: []"]
    if rng.random() < 0.5:
        return ["components: [" + ", ".join(comps) + "]"]
    return ["components:"] + [f"  - {c}" for c in comps]


def _status_sequence(rng: random.Random, active: bool) -> list[str]:
    r = rng.random()
    if r < 0.10:
        seq = ["investigating", "resolved"]
    elif r < 0.30:
        seq = rng.choice(
            (
                ["investigating", "identified", "resolved"],
                ["investigating", "monitoring", "resolved"],
            )
        )
    elif r < 0.80:
        seq = ["investigating", "identified", "monitoring", "resolved"]
    else:
        seq = rng.choice(
            (
                ["investigating", "investigating", "identified", "monitoring", "resolved"],
                ["investigating", "identified", "identified", "monitoring", "resolved"],
                ["investigating", "identified", "monitoring", "monitoring", "resolved"],
            )
        )
    if active:
        seq = seq[: rng.randint(1, len(seq) - 1)]
    return seq


_GAP_MINUTES = {
    "investigating": (5, 90),
    "identified": (10, 240),
    "monitoring": (15, 180),
    "resolved": (0, 0),
}


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _pick_impact(rng: random.Random) -> str:
    r = rng.random()
    return "none" if r < 0.08 else "minor" if r < 0.58 else "major" if r < 0.88 else "critical"


def write_incident(
    rng: random.Random,
    root: Path,
    seq_no: int,
    start: datetime,
    limit: datetime,
    flags: frozenset[str],
) -> dict[str, int]:
    """Write one incident folder; returns counters for the summary.

    flags: "active" (not resolved yet), "block" (one update has a `::: strategic` block),
    "strategic-update" (one extra update for strategic customers only), "strategic-incident"
    (every update is strategic-only) and "postmortem".
    """
    active = "active" in flags
    slug, title_t, cands = rng.choice(TOPICS)
    main = rng.choice(cands) if cands else rng.choice(COMPONENT_IDS)
    region = rng.choice(REGIONS)
    fill = _Fill(
        rng,
        {
            "cname": COMPONENT_NAME[main],
            "region": region,
            "host": HOSTS.get(main, "api.example.com"),
            "cause": rng.choice(CAUSES).replace("{region}", region),
        },
    )
    title = title_t.format_map(fill)
    impact = _pick_impact(rng)
    comps = [] if impact == "none" and rng.random() < 0.5 else _components_for(rng, main)
    as_mapping = bool(comps) and rng.random() < 0.3

    statuses = _status_sequence(rng, active)
    wholly_strategic = "strategic-incident" in flags
    strategic_update = "strategic-update" in flags and len(statuses) > 1
    at = -1
    if strategic_update:  # an extra update only strategic customers see, in the middle
        at = rng.randint(1, len(statuses) - 1)
        statuses.insert(at, statuses[at - 1])
    strategic_at = at
    # Half of all incidents carry a `::: strategic` block in one of their updates.
    block_at = rng.randrange(len(statuses)) if "block" in flags else -1

    multi_day = rng.random() < 0.02
    gaps = []
    for s in statuses[:-1]:
        lo, hi = _GAP_MINUTES[s]
        g = rng.randint(lo, hi) * (rng.randint(8, 20) if multi_day else 1)
        gaps.append(timedelta(minutes=g))
    total = sum(gaps, timedelta())
    if start + total > limit:  # keep every update before the build's --now
        scale = max((limit - start) / total, 0) if total else 0
        gaps = [timedelta(seconds=int(g.total_seconds() * scale)) for g in gaps]
    dates = [start]
    for g in gaps:
        dates.append(dates[-1] + g)

    iid = f"{start.astimezone(SITE_TZ):%Y-%m-%d}-{slug}-{seq_no:04d}"
    folder = root / "content" / "incidents" / iid
    folder.mkdir(parents=True)
    stamp_names = rng.random() < 0.2
    words = 0
    for i, (status, dt) in enumerate(zip(statuses, dates, strict=False)):
        fm = ["---", f"date: {fmt_date(rng, dt)}", f"status: {status}"]
        if i == 0:
            fm.append(f"title: {_yaml_str(title)}")
            fm.append(f"impact: {impact}")
            fm += _components_yaml(rng, comps, impact, as_mapping)
        else:
            if status == "identified" and rng.random() < 0.05:
                fm.append(f"title: {_yaml_str(rng.choice(RETITLES).format_map(fill))}")
            if status == "identified" and impact in ("minor", "major") and rng.random() < 0.1:
                impact = IMPACTS[IMPACTS.index(impact) + 1]
                fm.append(f"impact: {impact}")
                fm += _components_yaml(rng, comps or [main], impact, True)
        if wholly_strategic or i == strategic_at:
            fm.append("audience: strategic")
        fm.append("---")
        opener = rng.choice(OPENERS[status])
        text = body(rng, fill, status, opener, 100, 400, strategic=(i == block_at))
        words += text.count(" ")
        name = f"{dt.astimezone(UTC):%Y%m%d-%H%M}-{i}.md" if stamp_names else f"{i + 1:02d}-{status}.md"
        _write(folder / name, "\n".join(fm) + "\n\n" + text)

    postmortem = "postmortem" in flags and not active
    if postmortem:
        pm_date = min(dates[-1] + timedelta(days=rng.randint(1, 7), hours=rng.randint(0, 8)), limit)
        sections = []
        for h, opener in POSTMORTEM_SECTIONS:
            paras = _paragraphs(rng, fill, opener, rng.randint(60, 160), FILLER["resolved"])
            sections.append(f"## {h}\n\n" + "\n\n".join(paras))
            if h == "Summary":
                times = sorted(_sentence(fill, "{utc}") for _ in range(5))
                events = rng.sample(BULLETS["Timeline so far:"], 5)
                rows = [
                    f"| {t} | {_upper_first(_sentence(fill, e.split(': ', 1)[1]))} |"
                    for t, e in zip(times, events, strict=False)
                ]
                sections.append("## Timeline\n\n| Time (UTC) | Event |\n| --- | --- |\n" + "\n".join(rows))
            if h == "What we are changing":
                sections.append(_bullets(rng, fill, "Next steps:"))
        if rng.random() < 0.5:
            sections.append(_strategic_block(rng, fill))
        _write(
            folder / "postmortem.md",
            f"---\ndate: {fmt_date(rng, pm_date)}\n---\n\n" + "\n\n".join(sections) + "\n",
        )
    return {
        "updates": len(statuses),
        "words": words,
        "postmortems": int(postmortem),
        "strategic_blocks": int(block_at >= 0),
        "strategic_updates": int(strategic_update),
        "strategic_incidents": int(wholly_strategic),
        "active": int(active),
    }


# --------------------------------------------------------------------------- maintenance

MAINT_TOPICS = [
    ("database-upgrade", "Scheduled {cname} upgrade in {region}", ["postgres", "redis"]),
    ("network-maintenance", "Network maintenance in {region}", ["compute", "load-balancers"]),
    ("lb-firmware", "Load balancer firmware upgrade", ["load-balancers"]),
    ("billing-migration", "Billing system migration", ["billing"]),
    (
        "storage-expansion",
        "Storage cluster expansion in {region}",
        ["block-storage", "object-storage"],
    ),
    ("dns-provider-change", "Managed DNS infrastructure upgrade", ["dns"]),
    ("kafka-rolling-restart", "Rolling restart of event streaming brokers", ["kafka"]),
    ("auth-migration", "Authentication service migration", ["authentication", "dashboard"]),
]


def write_maintenance(rng: random.Random, root: Path, seq_no: int, start: datetime, phase: str) -> None:
    """phase: 'past' (completed), 'active' (in progress at NOW) or 'upcoming' (after NOW)."""
    slug, title_t, cands = rng.choice(MAINT_TOPICS)
    main = rng.choice(cands)
    region = rng.choice(REGIONS)
    fill = _Fill(
        rng,
        {
            "cname": COMPONENT_NAME[main],
            "region": region,
            "host": HOSTS.get(main, "api.example.com"),
            "cause": rng.choice(CAUSES),
        },
    )
    comps = [main] + [c for c in cands if c != main and rng.random() < 0.5]
    duration = timedelta(hours=rng.randint(2 if phase == "active" else 1, 4))
    ends = start + duration
    announced = start - timedelta(days=rng.randint(3, 14), hours=rng.randint(0, 10))
    if phase == "upcoming":
        announced = min(announced, LAST_UPDATE - timedelta(hours=6))
        updates = [("scheduled", announced)]
    elif phase == "active":
        updates = [("scheduled", announced), ("in_progress", start)]
    else:
        updates = [("scheduled", announced), ("in_progress", start)]
        if rng.random() < 0.5:
            updates.append(("verifying", ends - timedelta(minutes=rng.randint(10, 30))))
        updates.append(("completed", ends + timedelta(minutes=rng.randint(-20, 20))))
    mid = f"{start.astimezone(SITE_TZ):%Y-%m-%d}-{slug}-{seq_no:04d}"
    folder = root / "content" / "maintenance" / mid
    folder.mkdir(parents=True)
    for i, (status, dt) in enumerate(updates):
        fm = ["---", f"date: {fmt_date(rng, dt)}", f"status: {status}"]
        if i == 0:
            fm += [
                f"title: {_yaml_str(title_t.format_map(fill))}",
                f"starts: {fmt_date(rng, start)}",
                f"ends: {fmt_date(rng, ends)}",
                "components:",
            ] + [f"  - {c}" for c in comps]
        fm.append("---")
        text = body(
            rng,
            fill,
            status,
            rng.choice(MAINT_OPENERS[status]),
            40,
            160,
            strategic=rng.random() < 0.2,
        )
        _write(folder / f"{i + 1:02d}-{status}.md", "\n".join(fm) + "\n\n" + text)


# --------------------------------------------------------------------------- site


def generate(out: Path, n: int, seed: int = 1) -> dict[str, int]:
    """Write the site into `out` (which must not hold a site yet); return counters."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "content" / "incidents").mkdir(parents=True)
    (out / "content" / "maintenance").mkdir(parents=True)
    _write(out / "site.yml", site_yml(n, seed))

    stats = {"incidents": n}
    starts = _start_times(rng, n - 1, FIRST_START, LAST_START) if n > 1 else []
    # The newest incident is still open on the morning of 2026-11-27.
    starts.append(datetime(2026, 11, 27, 8, 0, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 60)))
    # Exact shares, drawn once: half with a strategic block, ~5% with strategic-only
    # updates (4% one extra update, 1% the whole incident), ~3% with a postmortem.
    closed = range(n - 1)
    flags: list[set[str]] = [set() for _ in range(n)]
    flags[-1].add("active")
    for name, share, least in (
        ("block", 0.5, 1),
        ("strategic-update", 0.04, 1),
        ("strategic-incident", 0.01, 0),
        ("postmortem", 0.03, 1),
    ):
        pool = [
            i
            for i in closed
            if not (name.startswith("strategic") and flags[i] & {"strategic-update", "strategic-incident"})
        ]
        for i in rng.sample(pool, min(len(pool), max(least, round(n * share)))):
            flags[i].add(name)
    for i, start in enumerate(starts):
        counts = write_incident(rng, out, i + 1, start, LAST_UPDATE, frozenset(flags[i]))
        for k, v in counts.items():
            stats[k] = stats.get(k, 0) + v

    m = max(2, n // 50)
    # Past windows start at 02:00-05:00 site time on random days; the last one is
    # upcoming and, when there are at least three, the one before it is in progress.
    past = m - (2 if m >= 3 else 1)
    days = sorted(rng.randrange(3640) for _ in range(past))
    for i, d in enumerate(days):
        local = datetime(2016, 12, 1, 2 + rng.randint(0, 3), rng.choice((0, 30)), tzinfo=SITE_TZ)
        local += timedelta(days=d)  # wall-clock arithmetic: stays at night across DST
        write_maintenance(rng, out, i + 1, local.astimezone(UTC), "past")
    if m >= 3:
        write_maintenance(rng, out, m - 1, datetime(2026, 11, 27, 11, 0, tzinfo=UTC), "active")
    upcoming = datetime(2026, 12, 3, 3, 0, tzinfo=SITE_TZ).astimezone(UTC)
    write_maintenance(rng, out, m, upcoming, "upcoming")
    stats["maintenance"] = m
    return stats


def _prepare(out: Path, force: bool) -> None:
    if not out.exists() or not any(out.iterdir()):
        return
    names = {p.name for p in out.iterdir()}
    if not force:
        sys.exit(f"make_site: {out} is not empty (use --force to replace a generated site)")
    if not names <= {"site.yml", "content"}:
        sys.exit(f"make_site: refusing to clear {out}: it holds more than site.yml and content/")
    shutil.rmtree(out / "content", ignore_errors=True)
    (out / "site.yml").unlink(missing_ok=True)


# --------------------------------------------------------------------------- verify


def verify(site: Path) -> int:
    """Run `statusgen check` (this checkout's) on the site as bench/run.py builds it; its exit code.

    It prints what check prints: every problem as path:line: message, then a summary line.
    --no-cache: check would otherwise keep a render cache in the site folder.
    """
    command = [
        sys.executable,
        "-m",
        "generator",
        "check",
        "--site",
        str(site.resolve()),
        "--now",
        NOW.isoformat().replace("+00:00", "Z"),
        "--no-cache",
    ]
    sys.stdout.flush()
    return subprocess.run(command, cwd=REPO, check=False).returncode


# --------------------------------------------------------------------------- cli


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir", type=Path, help="directory to write the site into (created)")
    p.add_argument("--incidents", "-n", type=int, required=True, help="number of incidents (>= 1)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--force", action="store_true", help="replace a site previously written here")
    p.add_argument(
        "--verify",
        action="store_true",
        help="then run statusgen check on it (exit 1 if it finds a problem)",
    )
    args = p.parse_args(argv)
    if args.incidents < 1:
        p.error("--incidents must be at least 1")
    _prepare(args.out_dir, args.force)
    t0 = time.perf_counter()
    stats = generate(args.out_dir, args.incidents, args.seed)
    elapsed = time.perf_counter() - t0
    summary = ", ".join(f"{k} {v}" for k, v in stats.items())
    print(f"wrote {args.out_dir} in {elapsed:.2f} s: {summary}")
    if args.verify:
        return verify(args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
