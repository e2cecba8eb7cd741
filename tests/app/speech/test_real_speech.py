"""Real speech from espeak-ng through pyttsx3, written to WAV files and checked to be speech."""

from __future__ import annotations

import numpy as np

from app.speech.pyttsx3_speech import WavFileSpeech

from .conftest import requires_espeak
from .helpers import SILENCE_RMS, frame_rms, read_wav

pytestmark = requires_espeak

SHORT = "The window is open."
PARAGRAPH = (
    "The screen shows a text editor with a document titled quarterly report. "
    "Below the title there is a table with four columns and six rows of numbers. "
    "A blue button labelled save is in the lower right corner, next to a grey cancel button."
)
IDLE_TIMEOUT_S = 30  # generous: espeak renders a sentence in about 10 ms here


def render(make_speech, tmp_path, texts, **voice) -> list:
    speech = make_speech(WavFileSpeech, tmp_path / "out")
    if voice:
        speech.set_voice(**voice)
    for text in texts:
        speech.say(text)
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    speech.shutdown()  # one engine per process: the next render starts its own
    return [read_wav(tmp_path / "out" / f"{n:04d}.wav") for n in range(1, len(texts) + 1)]


def assert_is_speech(samples: np.ndarray, rate: int) -> None:
    rms = float(np.sqrt(np.mean(samples**2)))
    frames = frame_rms(samples, rate)
    voiced = float(np.mean(frames > SILENCE_RMS))
    assert rms > 5 * SILENCE_RMS, f"RMS {rms:.4f} is near silence"
    assert voiced > 0.4, f"only {voiced:.0%} of frames are voiced"
    # Speech is syllables and pauses: its loudness swings from frame to frame, unlike a hum or hiss.
    voiced_frames = frames[frames > SILENCE_RMS]
    assert np.std(voiced_frames) / np.mean(voiced_frames) > 0.3
    assert np.max(np.abs(samples)) < 1.0  # not clipped


def test_a_sentence_and_a_paragraph_are_real_speech_of_growing_length(make_speech, tmp_path):
    (short, rate), (long, long_rate) = render(make_speech, tmp_path, [SHORT, PARAGRAPH])
    assert rate == long_rate
    assert_is_speech(short, rate)
    assert_is_speech(long, rate)
    short_s, long_s = len(short) / rate, len(long) / rate
    assert 0.5 < short_s < 5.0
    assert long_s > 4 * short_s  # about 9 times the words


def test_rate_and_volume_settings_reach_the_voice(make_speech, tmp_path):
    rendered = {}
    for name, voice in {"slow": {"rate": 120}, "fast": {"rate": 360}, "quiet": {"volume": 0.2}}.items():
        (samples, rate), = render(make_speech, tmp_path / name, [PARAGRAPH], **voice)
        rendered[name] = (len(samples) / rate, float(np.sqrt(np.mean(samples**2))))
    assert rendered["fast"][0] < 0.6 * rendered["slow"][0]
    assert rendered["quiet"][1] < 0.5 * rendered["fast"][1]


def test_voices_are_listed_and_a_chosen_voice_is_used(make_speech, tmp_path):
    speech = make_speech(WavFileSpeech, tmp_path / "out")
    voices = dict(speech.voices())
    assert len(voices) > 10 and all(voices.values())
    english, finnish = next(v for v in voices if v.endswith("/en")), next(v for v in voices if v.endswith("/fi"))
    seconds = []
    for index, voice_id in enumerate((english, finnish, english), start=1):
        speech.set_voice(voice_id=voice_id)
        speech.say("There are 7777 files.")  # the number is read out in the voice's own language
        assert speech.wait_until_idle(IDLE_TIMEOUT_S)
        samples, rate = read_wav(tmp_path / "out" / f"{index:04d}.wav")
        seconds.append(len(samples) / rate)
    assert abs(seconds[0] - seconds[2]) < 0.01 * seconds[0]  # English again sounds the same
    assert seconds[1] > 1.2 * seconds[0]  # "seitsemäntuhatta seitsemänsataa..." is longer


def test_unknown_voice_is_reported_in_plain_words_and_the_voice_kept(make_speech, tmp_path):
    errors = []
    speech = make_speech(WavFileSpeech, tmp_path / "out", on_error=errors.append)
    speech.set_voice(voice_id="no/such-voice")
    speech.say(SHORT)
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    assert errors == ["The chosen voice is not installed, so the current voice is kept."]
    assert_is_speech(*read_wav(tmp_path / "out" / "0001.wav"))


def test_an_empty_voice_setting_goes_back_to_the_system_default(make_speech, tmp_path):
    speech = make_speech(WavFileSpeech, tmp_path / "out")
    finnish = next(v for v, _name in speech.voices() if v.endswith("/fi"))
    seconds = []
    for index, voice_id in enumerate(("", finnish, ""), start=1):
        speech.set_voice(voice_id=voice_id)
        speech.say("There are 7777 files.")
        assert speech.wait_until_idle(IDLE_TIMEOUT_S)
        samples, rate = read_wav(tmp_path / "out" / f"{index:04d}.wav")
        seconds.append(len(samples) / rate)
    assert seconds[1] > 1.2 * seconds[0] and abs(seconds[0] - seconds[2]) < 0.01 * seconds[0]


def test_speech_to_files_is_chosen_by_the_environment(monkeypatch, tmp_path):
    from app.speech.factory import create_speech

    monkeypatch.setenv("VISIONPANGU_SPEECH", f"file:{tmp_path / 'said'}")
    speech, reason = create_speech(driver_name="espeak")
    try:
        assert reason is None and isinstance(speech, WavFileSpeech)
        speech.say(SHORT)
        assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    finally:
        speech.shutdown()
    assert_is_speech(*read_wav(tmp_path / "said" / "0001.wav"))


def test_spoken_files_describe_the_screen_so_they_are_private_to_the_user(make_speech, tmp_path):
    import stat

    render(make_speech, tmp_path, [SHORT])
    folder = tmp_path / "out"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()] == [0o600]
