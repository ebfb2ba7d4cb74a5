// The optional alarm sound: a short WebAudio beep (no audio file to fetch). Off by default;
// the operator's choice is remembered in this browser.

const KEY = 'vigil.sound';
let audio = null;

export function soundEnabled() {
  try {
    return localStorage.getItem(KEY) === 'on';
  } catch {
    return false;
  }
}

export function setSound(on) {
  try {
    localStorage.setItem(KEY, on ? 'on' : 'off');
  } catch {
    // Storage refused (private mode): the toggle still works for this page.
  }
}

/** Two short high tones. */
export function beep() {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') audio.resume();
    const t0 = audio.currentTime;
    for (const [at, f] of [[0, 880], [0.22, 1175]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'square';
      osc.frequency.value = f;
      gain.gain.setValueAtTime(0.0001, t0 + at);
      gain.gain.exponentialRampToValueAtTime(0.15, t0 + at + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + at + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(t0 + at);
      osc.stop(t0 + at + 0.2);
    }
  } catch {
    // No audio device: the visual flash is the alarm.
  }
}
