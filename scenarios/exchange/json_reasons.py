"""What Python's JSON decoder says went wrong with a file, in the user's words."""

from django.utils.translation import gettext as _


def json_syntax_reason(msg: str) -> str:
    """What Python's JSON decoder says went wrong (``JSONDecodeError.msg``, English), in the
    user's words; the line and column are reported beside it."""
    if msg == "Expecting value":
        return _("此处应有一个值")
    if msg.startswith("Expecting property name"):
        return _("此处应为用双引号括起的字段名")
    if msg == "Expecting ':' delimiter":
        return _("此处缺少冒号（:）")
    if msg == "Expecting ',' delimiter":
        return _("此处缺少逗号（,）")
    if msg.startswith("Unterminated string"):
        return _("字符串从此处开始，但没有结束的双引号")
    if msg.startswith("Invalid control character"):
        return _("字符串中含有未转义的控制字符（如换行）")
    if msg.startswith("Invalid \\"):
        return _("无效的转义序列")
    if msg == "Extra data":
        return _("JSON 数据结束后还有多余内容")
    if msg.startswith("Illegal trailing comma"):
        return _("多余的逗号")
    return _("语法错误")
