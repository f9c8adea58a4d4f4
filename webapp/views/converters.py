"""URL converters: `<id:name>` for the id of a row, so that a number no id column can hold is a
404 like any id that names nothing, instead of an error from the database."""

from werkzeug.routing import BaseConverter, ValidationError

from webapp.models.types import MAX_ID


class RowId(BaseConverter):
    regex = r"[1-9][0-9]{0,9}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()  # the rule does not match: 404
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


def init_app(app) -> None:
    app.url_map.converters["id"] = RowId
