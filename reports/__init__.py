from . import payroll_workbook
