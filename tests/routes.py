"""Every route of the URL map as the requests a test can make, its variables filled in."""

import itertools
from dataclasses import dataclass

# Values for each variable a route may have; the ids of an application (its public id and its
# id at the office) and a visit are the test's own. A route with a variable missing here fails
# the tests that walk the map until it gets one.
SAMPLES = {
    "step": ("service", "passport", "personal", "travel"),
    "code": ("ktp",),
    "variant": ("file", "thumbnail"),
    "token": ("not-a-reset-token",),
    "queue": ("mail",),
    "name": ("none.eml",),
    "office_code": ("kanim-tidak-ada",),
    "leave_day_id": (1,),
    # Administrators' offices and staff accounts: the test's first office (the applicant's),
    # whose page is every administrator's; an invitation and an account that do not exist,
    # whose buttons send the administrator back to the list with a message.
    "office_id": (1,),
    "invitation_id": (999999,),
    "account_id": (999999,),
    # A waiting room that does not exist: its draw answers 404, its entries' status too.
    "room_id": (999999,),
}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str
    access: str | None  # what its decorator declares (webapp/views/access.py)
    of_an_application: bool  # whether it names one application (<public_id>)
    of_a_visit: bool  # whether it names one visit, upload or application of an office by its id


# The variables by which office pages name a thing of their office.
OF_AN_OFFICE = ("visit_id", "document_id", "application_id", "batch_id")


def every_route(app, public_id: str, visit_id: int = 1, **office_ids: int) -> list[Route]:
    """office_ids: the test's own document_id, application_id and batch_id (1 unless given)."""
    own = {"public_id": (public_id,), "visit_id": (visit_id,)}
    own |= {name: (office_ids.get(name, 1),) for name in OF_AN_OFFICE[1:]}
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        access = getattr(app.view_functions[rule.endpoint], "access", None)
        names = sorted(rule.arguments)
        choices = [own.get(name) or SAMPLES[name] for name in names]
        for values in itertools.product(*choices):
            _, path = rule.build(dict(zip(names, values, strict=True)))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append(
                    Route(
                        rule.endpoint,
                        method,
                        path,
                        access,
                        "public_id" in rule.arguments,
                        any(name in rule.arguments for name in OF_AN_OFFICE),
                    )
                )
    return routes
