from flask import Blueprint

bp = Blueprint("exhibitors", __name__)
