"""Vital signs from the bracelet: abnormal heart rate and low blood oxygen.

One detector per module (:mod:`.heart_rate`, :mod:`.spo2`), both a :class:`.vital.VitalDetector`
(condition, recovery, saved state), over shared machinery (:mod:`.episodes`: sustained runs
and recoveries; :mod:`.bracelets`: worn and at rest).

Both detectors judge a *sustained* state, never one sample: optical wrist sensors spike
and drop out all the time, and a dispatcher who is called for every spike stops
listening. The rules they share:

- A reading from a bracelet that is off the wrist (``worn`` false until ``worn`` true) is
  ignored. A sensor that has no data sends none (decoding drops its zeros), so data stops.
- Sustained means: since the first abnormal reading of a run, at least ``min_span_s`` and
  ``min_readings`` abnormal, and ``fraction`` of all readings abnormal. This reads the same
  whether a bracelet reports every minute or every ten.
- A gap is neither normal nor abnormal: a hole longer than ``max_gap_s`` ends a run (what
  came before it is not evidence), and a clearing run restarts after a gap too.
- Decisions are taken when a reading arrives, never on silence: when data stops, a pending
  condition is not raised on stale data, and an open one is not cleared by silence either,
  however long. "Heart rate 140" followed by a bracelet that went quiet is not good news;
  the condition stays open until readings show the value back in range, the dispatcher
  resolves the alert, and ``device_offline`` reports the silence.
- At rest means no walking counted for ``rest_s``. Step counts come every 1-15 minutes,
  so a count that shows walking also takes the "at rest" flags back from the heart rate
  readings since the previous count.
- Late readings (a few seconds out of order) are put in place by their own timestamp; a
  repeat of a timestamp already held is a duplicate delivery and is ignored.

Cost per reading is a few comparisons and counter updates; a window (a deque of at most
``MAX_WINDOW_READINGS``) is only scanned while its counts already show enough flagged
readings, that is during an episode.
"""

from .heart_rate import HeartRateDetector, HeartRateSettings
from .spo2 import Spo2Detector, Spo2Settings

__all__ = ["HeartRateDetector", "HeartRateSettings", "Spo2Detector", "Spo2Settings"]
