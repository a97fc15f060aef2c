"""What each transition is called on buttons, in logs and in refusals."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # case
    "acknowledge": _("acknowledge"),
    "start_analysis": _("start analysis"),
    "force_analysis": _("force analysis"),
    "file_analysis": _("file the analysis"),
    "issue_warning": _("issue the warning"),
    "start_supervision": _("start supervision"),
    "close": _("close"),
    "hold_accountable": _("hold accountable"),
    "close_after_accountability": _("close after accountability"),
    "cancel": _("cancel"),
    "open": _("open"),
    "create": _("create"),
    "escalate": _("escalate"),
    # task
    "accept": _("accept"),
    "submit": _("submit"),
    "verify": _("verify"),
    "send_back": _("return"),
    "request_extension": _("request an extension"),
    "approve_extension": _("approve the extension"),
    "refuse_extension": _("refuse the extension"),
    # accountability record
    "propose": _("propose"),
    "approve": _("approve"),
    "execute": _("execute"),
    "dismiss": _("dismiss"),
    # evaluation
    "compute": _("compute"),
    "submit_for_review": _("submit for review"),
    "publish": _("publish"),
}


def action_label(name: str) -> str:
    return str(ACTION_LABELS.get(name, name.replace("_", " ")))
