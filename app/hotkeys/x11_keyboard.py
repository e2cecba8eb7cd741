"""X11 keyboard facts the grabbing thread needs: modifier masks, lock variants, XKB auto-repeat.

python-xlib has no XKB module, so the two XKB requests used here are declared from the
protocol specification ("The X Keyboard Extension: Protocol Specification", sections
XkbUseExtension (minor opcode 0) and XkbPerClientFlags (minor opcode 21)).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from Xlib import X, XK
from Xlib.protocol import rq

from app.hotkeys.combo import KeyCombo, Mod
from app.hotkeys.keymap import KEYS

XKB_EXTENSION = "XKEYBOARD"
XKB_VERSION = (1, 0)
XKB_USE_CORE_KBD = 0x0100
XKB_PCF_DETECTABLE_AUTO_REPEAT = 1 << 0
# X's eight modifier bits (Shift, Lock, Control, Mod1..Mod5); higher bits of a key event's
# state are pointer buttons and XKB group, which a shortcut ignores.
CORE_MODIFIER_BITS = 0xFF
MODIFIER_MASKS = (X.ShiftMask, X.LockMask, X.ControlMask, X.Mod1Mask, X.Mod2Mask, X.Mod3Mask,
                  X.Mod4Mask, X.Mod5Mask)


class _UseExtension(rq.ReplyRequest):
    _request = rq.Struct(rq.Card8("opcode"), rq.Opcode(0), rq.RequestLength(),
                         rq.Card16("wanted_major"), rq.Card16("wanted_minor"))
    _reply = rq.Struct(rq.Pad(1), rq.Card8("supported"), rq.Card16("sequence_number"), rq.ReplyLength(),
                       rq.Card16("server_major"), rq.Card16("server_minor"), rq.Pad(20))


class _PerClientFlags(rq.ReplyRequest):
    _request = rq.Struct(rq.Card8("opcode"), rq.Opcode(21), rq.RequestLength(),
                         rq.Card16("device_spec"), rq.Pad(2), rq.Card32("change"), rq.Card32("value"),
                         rq.Card32("ctrls_to_change"), rq.Card32("auto_ctrls"), rq.Card32("auto_ctrl_values"))
    _reply = rq.Struct(rq.Pad(1), rq.Card8("device_id"), rq.Card16("sequence_number"), rq.ReplyLength(),
                       rq.Card32("supported"), rq.Card32("value"), rq.Card32("auto_ctrls"),
                       rq.Card32("auto_ctrl_values"), rq.Pad(8))


def enable_detectable_autorepeat(display) -> bool:
    """Ask the server to send held keys as press, press, ..., release; True if it agreed.

    Same request as Xlib's XkbSetDetectableAutoRepeat. Without it, RepeatFilter still
    recognises the classic release+press pairs.
    """
    extension = display.query_extension(XKB_EXTENSION)
    if extension is None or not extension.present:
        return False
    opcode = extension.major_opcode
    used = _UseExtension(display=display.display, opcode=opcode,
                         wanted_major=XKB_VERSION[0], wanted_minor=XKB_VERSION[1])
    if not used.supported:
        return False
    reply = _PerClientFlags(display=display.display, opcode=opcode, device_spec=XKB_USE_CORE_KBD,
                            change=XKB_PCF_DETECTABLE_AUTO_REPEAT, value=XKB_PCF_DETECTABLE_AUTO_REPEAT,
                            ctrls_to_change=0, auto_ctrls=0, auto_ctrl_values=0)
    return bool(reply.value & XKB_PCF_DETECTABLE_AUTO_REPEAT)


def _mask_of(display, keysym_names: tuple[str, ...]) -> int:
    """The modifier bit that the named keys are mapped to on this server (0 if none)."""
    keycodes = {display.keysym_to_keycode(XK.string_to_keysym(name)) for name in keysym_names} - {0}
    for mask, mapped in zip(MODIFIER_MASKS, display.get_modifier_mapping()):
        if keycodes & set(mapped):
            return mask
    return 0


@dataclass(frozen=True)
class Layout:
    """How this server maps modifiers; read again after every MappingNotify."""
    alt: int
    num_lock: int
    scroll_lock: int

    @classmethod
    def read(cls, display) -> "Layout":
        # Alt is Mod1 on every common layout, but xmodmap can move it (Xlib manual, 12.7).
        return cls(alt=_mask_of(display, ("Alt_L", "Alt_R")) or X.Mod1Mask,
                   num_lock=_mask_of(display, ("Num_Lock",)),
                   scroll_lock=_mask_of(display, ("Scroll_Lock",)))

    @property
    def lock_masks(self) -> tuple[int, ...]:
        return tuple(m for m in (X.LockMask, self.num_lock, self.scroll_lock) if m)

    def lock_variants(self) -> list[int]:
        """Every on/off state of Caps, Num and Scroll Lock, so a grab works in all of them."""
        locks = self.lock_masks
        return [sum(chosen) for size in range(len(locks) + 1) for chosen in combinations(locks, size)]

    def clean(self, state: int) -> int:
        """A key event's state without lock and pointer bits, to compare with a grab's mask."""
        for mask in self.lock_masks:
            state &= ~mask
        return state & CORE_MODIFIER_BITS

    def mask(self, combo: KeyCombo) -> int | None:
        """The X modifier mask of a combination; None if it uses a modifier grabbed nowhere here."""
        if combo.modifiers & Mod.META:
            return None  # the Windows/Super key: refused by validation, never grabbed
        mask = 0
        if combo.modifiers & Mod.SHIFT:
            mask |= X.ShiftMask
        if combo.modifiers & Mod.CTRL:
            mask |= X.ControlMask
        if combo.modifiers & Mod.ALT:
            mask |= self.alt
        return mask


def keycode_for(display, combo: KeyCombo) -> int:
    """The keycode of the combination's key on this keyboard; 0 if the layout has none."""
    info = KEYS.get(combo.key)
    return display.keysym_to_keycode(info.x_keysym) if info is not None else 0
