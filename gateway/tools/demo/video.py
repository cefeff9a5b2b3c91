"""One demo video session as a video platform reports it: a room of a customer, the
participants who joined and left (the moderator, colleagues and guests), recordings split
in stages, and the minutes it used; cut at the anchor like a call."""

from __future__ import annotations

import math
from typing import Any

from gateway.tools.demo import pricing
from gateway.tools.demo.calls import RecordMaker, compact, ref
from gateway.tools.demo.catalogue import EQUIPMENT_IP, VIDEO_SERVER, Customer, Ref
from gateway.tools.demo.plan import leg_id
from gateway.tools.demo.timeline import day_of, stamp

MEETING_SIZES, MEETING_SIZE_WEIGHTS = (2, 3, 4, 5, 6, 8), (30, 25, 18, 12, 9, 6)
WEBINAR_SIZE = (8, 60)  # within a session's 100 legs (methods.ingest.session_schema)
MEETING_MEDIAN_S, WEBINAR_MEDIAN_S = 28 * 60, 50 * 60
MIN_SESSION_S, MAX_SESSION_S = 3 * 60, 3 * 3600
RECORDED_PERCENT = {"vc": 35, "wb": 70}
STAGE_S = 40 * 60  # a recording file per 40 minutes, as the platform splits them
VIDEO_BYTES_PER_S = 150_000  # 1.2 Mbit/s
STAYS_PERCENT = 70  # participants who stay to the end
GUESTS = ("Amira Haddad", "Lars Eriksen", "Chen Wei", "Priya Raman", "Mateo Silva",
          "Aiko Tanaka", "Jonas Berg", "Fatima Zahra", "Noah Wilson", "Elena Popescu",
          "Kwame Mensah", "Sofia Rossi", "Ivan Horvat", "Maya Cohen", "Lucas Martin",
          "Hana Novak", "Omar Farouk", "Grace Liu", "Tomasz Nowak", "Isabel Ortega")
AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
)
GUEST_NETWORKS = ("192.0.2", "198.51.100", "203.0.113")  # documentation ranges (RFC 5737)


class VideoMaker(RecordMaker):
    """Builds video session records; shares the run's random stream and id counters."""

    def make(self, customer: Customer, setup: int, session_id: str,
             live: bool = False) -> dict[str, Any]:
        """A room session of `customer` opened at `setup`; `live`: still on at the anchor."""
        rng, anchor = self.rng, self.plan.anchor
        room = rng.choice(customer.rooms)
        webinar = room.app_type == "wb"
        start = min(setup + rng.randint(0, 3), max(setup, anchor))  # the moderator is in
        median = WEBINAR_MEDIAN_S if webinar else MEETING_MEDIAN_S
        length = min(MAX_SESSION_S, max(MIN_SESSION_S, int(rng.lognormvariate(
            math.log(median), 0.3 if webinar else 0.6))))
        if live:
            length += max(0, anchor - start)
        end = start + length
        size = rng.randint(*WEBINAR_SIZE) if webinar else rng.choices(
            MEETING_SIZES, MEETING_SIZE_WEIGHTS)[0]
        joined = (self._participant(customer, session_id, i, start, end, webinar)
                  for i in range(size))
        legs = [leg for leg in joined if leg is not None]
        ended = end <= anchor
        record = {
            "session_id": session_id, "kind": "video", "tenant": customer.tenant,
            "setup_time": stamp(setup), "start_time": stamp(start),
            "end_time": stamp(end) if ended else None, "equipment": ref(VIDEO_SERVER),
            "application": ref(customer.video_app), "rule_name": "video-rooms",
            "room_id": room.room_id, "meeting_id": str(rng.randrange(10 ** 9, 10 ** 10)),
            "app_type": room.app_type, "initiator_address": legs[0]["ip"],
            "media_server_address": EQUIPMENT_IP[VIDEO_SERVER.id], "legs": legs,
        }
        if ended:
            record["finish_reason"] = "Normal termination"
            record["log_file_url"] = f"https://logs.demo.example/{day_of(end)}/{session_id}.log"
            self._usage(record, room.room_id, start, end, webinar)
        return compact(record)

    def _participant(self, customer: Customer, session_id: str, i: int, start: int, end: int,
                     webinar: bool) -> dict[str, Any] | None:
        rng, anchor = self.rng, self.plan.anchor
        length = end - start
        if i == 0:
            join, leave = start, end  # the moderator opens and closes the room
        else:
            join = start + min(length - 60, int(rng.expovariate(1 / 120)))
            leave = end if rng.randrange(100) < STAYS_PERCENT else rng.randint(join + 30, end)
        if join > anchor:
            return None  # not joined yet at the anchor
        colleague = i == 0 or rng.randrange(100) < (20 if webinar else 50)
        user: Ref | None = None
        if colleague:
            device = customer.devices[0] if i == 0 else rng.choice(customer.devices)
            user = device.user
            name, ip, user_ref = user.name, customer.pbx_ip, f"user-{user.id}"
        else:
            name = rng.choice(GUESTS)
            ip = f"{rng.choice(GUEST_NETWORKS)}.{rng.randint(1, 254)}"
            user_ref = f"guest-{rng.getrandbits(32):08x}"
        role = "moderator" if i == 0 else "viewer" if webinar and i > 2 else "participant"
        seconds = leave - join if leave <= anchor else None
        return compact({
            "leg_id": leg_id(session_id, i), "role": "participant",
            "client": ref(customer.client, tenant=customer.tenant),
            "user": user and ref(user), "name": name, "participant_role": role, "ip": ip,
            "agent": rng.choice(AGENTS), "call_num": str(i + 1),
            "call_log_id": f"{rng.getrandbits(96):024x}", "user_ref": user_ref,
            "setup_time": stamp(join), "start_time": stamp(join),
            "end_time": stamp(leave) if seconds is not None else None,
            "billsec": seconds, "real_billsec": seconds})

    def _usage(self, record: dict[str, Any], room_id: str, start: int, end: int,
               webinar: bool) -> None:
        """Recordings (for some rooms) and the minutes used, once the session has ended."""
        rng = self.rng
        minutes = sum(-(-leg["billsec"] // 60) for leg in record["legs"])
        resources = [{
            "resource_usage_id": next(self.resource_ids), "resource_type": "VIDEOCALL",
            "quantity": str(minutes), "unit": "min",
            "cost": pricing.text((pricing.VIDEO_PER_MINUTE * minutes).quantize(pricing.MICRO)),
            "description": "Video conferencing, participant minutes", "used_at": stamp(end)}]
        if rng.randrange(100) < RECORDED_PERCENT["wb" if webinar else "vc"]:
            recordings: list[dict[str, Any]] = []
            begin, stop = start + rng.randint(5, 60), end - rng.randint(0, 20)
            stages = max(1, -(-(stop - begin) // STAGE_S))
            for stage in range(1, stages + 1):
                first = begin + (stage - 1) * STAGE_S
                seconds = max(1, min(STAGE_S, stop - first))
                name = f"{record['session_id']}-{stage}.mp4"
                recordings.append({
                    "record_id": next(self.record_ids),
                    "url": f"https://media.demo.example/recordings/{room_id}/{name}",
                    "name": name, "start_time": stamp(first), "duration": seconds,
                    "file_size": seconds * VIDEO_BYTES_PER_S,
                    "cost": pricing.text(pricing.per_minute_charge(
                        pricing.VIDEO_RECORDING_PER_MINUTE, seconds)),
                    "transcription_status": "Not required"})
            record["records"] = recordings
            recorded = sum(-(-r["duration"] // 60) for r in recordings)
            resources.append({
                "resource_usage_id": next(self.resource_ids), "resource_type": "VIDEORECORD",
                "quantity": str(recorded), "unit": "min",
                "cost": pricing.text(
                    (pricing.VIDEO_RECORDING_PER_MINUTE * recorded).quantize(pricing.MICRO)),
                "description": "Video recording", "used_at": stamp(end)})
        record["resources"] = resources
