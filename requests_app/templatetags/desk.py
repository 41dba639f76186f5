from django import template

from requests_app.desk import queue_summary

register = template.Library()


@register.simple_tag(takes_context=True)
def desk_queue_summary(context):
    return queue_summary(user=context["request"].user)
